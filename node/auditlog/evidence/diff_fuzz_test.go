package evidence

import (
	"encoding/base64"
	"testing"
)

// FuzzReceiptOf checks that the receipt decoder of Diff never panics and
// that what it accepts is a valid receipt whose canonical encoding is the
// JWS's payload.
func FuzzReceiptOf(f *testing.F) {
	payload := `{"v":1,"id":"01a249ea-4463-70f1-865b-64d3778ebd4d","network":"wacap","from":"gh-ag","to":"sn-pj-dakar","message_id":"01a249ea-4463-70f1-865b-64d3778ebd4e","message_hash":"` +
		"abababababababababababababababababababababababababababababababab" + `","kind":"delivered","time":"2026-03-01T10:00:00.000Z"}`
	enc := base64.RawURLEncoding.EncodeToString
	f.Add([]byte(enc([]byte(`{"alg":"EdDSA"}`)) + "." + enc([]byte(payload)) + "." + enc(make([]byte, 64))))
	f.Add([]byte("a.b.c"))
	f.Add([]byte(".."))
	f.Add([]byte("x." + enc([]byte(payload)) + "."))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := receiptOf(data)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("accepted an invalid receipt: %v", err)
		}
		again, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		first, last := indexes(data)
		if got, _ := base64.RawURLEncoding.DecodeString(string(data[first+1 : last])); string(got) != string(again) {
			t.Fatalf("accepted a receipt not in canonical encoding")
		}
	})
}

// indexes returns the positions of the first and the last dot.
func indexes(b []byte) (int, int) {
	first, last := -1, -1
	for i, c := range b {
		if c == '.' {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last
}
