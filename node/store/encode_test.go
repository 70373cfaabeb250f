package store

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// FuzzMarshalBody: an inbox entry encoded with its body spliced in as it
// is decodes to the same entry as json.Marshal's encoding, whatever the
// body (valid JSON) and whatever the strings around it hold.
func FuzzMarshalBody(f *testing.F) {
	f.Add([]byte(`{"summary":"a \"body\":null"}`), `"body":null`, `x","body":null`)
	f.Add([]byte(` { "a" : [1, 2] } `), "clerk", "")
	f.Add([]byte(`null`), "", "r")
	f.Fuzz(func(t *testing.T, body []byte, readBy, receiptID string) {
		if !json.Valid(body) {
			return
		}
		now := time.Unix(1_800_000_000, 0).UTC()
		e := &InboxEntry{Seq: 3, Header: &protocol.Header{ID: "id", From: readBy}, Body: body, Hash: "h", Size: 9,
			Received: now, ReadAt: &now, ReadBy: readBy, ReceiptID: receiptID, Receipt: []byte(readBy)}
		want, err := json.Marshal(e)
		if err != nil {
			return // a string json.Marshal refuses
		}
		got, err := marshalBody(e, &e.Body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(e.Body, body) {
			t.Fatalf("the entry's body changed: %q", e.Body)
		}
		var a, b InboxEntry
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		var ca, cb bytes.Buffer
		json.Compact(&ca, a.Body)
		json.Compact(&cb, b.Body)
		a.Body, b.Body = nil, nil
		ea, _ := json.Marshal(a)
		eb, _ := json.Marshal(b)
		if !bytes.Equal(ca.Bytes(), cb.Bytes()) || !bytes.Equal(ea, eb) {
			t.Fatalf("spliced %s\nwant     %s", got, want)
		}
	})
}
