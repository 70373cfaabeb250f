package auditlog

import (
	"bytes"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/tlog"
)

func seedRecords() [][]byte {
	recs := []*Record{
		{Seq: 0, Time: time.Unix(0, 1), Type: TypeKey, Actor: "sn-pj-dakar", PayloadHash: sha256.Sum256(nil)},
		{Seq: 17, Time: time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC), Type: TypeSent, Actor: "prosecutor amadou",
			MessageID: protocol.NewMessageID(time.Unix(1_700_000_000, 0)), Prev: tlog.RecordHash([]byte("x")), PayloadSize: 1024},
		{Seq: 1 << 40, Time: time.Unix(1<<33, 0), Type: TypeCheckpoint, Actor: "é ü", PayloadSize: MaxPayloadSize},
		{Seq: 5, Time: time.Unix(1<<31, 7), Type: TypeReceived, Actor: "gh-ag-accra", MessageID: protocol.NewMessageID(time.Unix(1_700_000_000, 0)),
			Hub: &HubStamp{Stored: time.Unix(1<<31, 9).UTC(), Seq: 42}},
	}
	var out [][]byte
	for _, r := range recs {
		out = append(out, r.encode())
	}
	return out
}

// FuzzDecodeRecord checks that the record decoder never panics and that
// whatever it accepts encodes back to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range seedRecords() {
		f.Add(s)
		f.Add(s[:len(s)-1])
		f.Add(append(bytes.Clone(s), 0))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err != nil {
			return
		}
		if again := r.encode(); !bytes.Equal(again, data) {
			t.Fatalf("decode then encode changed the bytes:\n%x\n%x", data, again)
		}
	})
}

// FuzzDecodeRejection checks the rejected-record payload decoder the same
// way.
func FuzzDecodeRejection(f *testing.F) {
	f.Add(NewRejection(protocol.ReasonBadSignature, "outer signature does not verify", []byte("forged")).Encode())
	f.Add(NewRejection(protocol.ReasonOversized, "", make([]byte, MaxRejectedRaw+1)).Encode())
	f.Add(NewRejection("malformed", "line one\nline two\x00", nil).Encode())
	v1 := NewRejection(protocol.ReasonBadSignature, "outer signature does not verify", []byte("forged"))
	v1.Version = RejectionV1
	f.Add(v1.Encode())
	withheld := NewRejection(protocol.ReasonBadSignature, "flood", []byte("forged"))
	withheld.Publisher = "gh-ag"
	withheld.Withhold()
	f.Add(withheld.Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRejection(data)
		if err != nil {
			return
		}
		if again := r.Encode(); !bytes.Equal(again, data) {
			t.Fatalf("decode then encode changed the bytes")
		}
	})
}

// FuzzParseCheckpoint checks that the checkpoint parser never panics, and
// that what it accepts has exactly the canonical text.
func FuzzParseCheckpoint(f *testing.F) {
	a := newAgency(f, "wacap", "sn-pj-dakar")
	s, err := newNoteSigner(Origin("wacap", "sn-pj-dakar"), a.key)
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []int64{0, 1, 4096, 1 << 40} {
		cp, err := signCheckpoint(s, n, tlog.RecordHash([]byte{byte(n)}))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(cp.Note)
	}
	f.Add([]byte("casenode/wacap/x\n01\nAAAA\n\n— casenode/wacap/x AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, _, err := ParseCheckpoint(data)
		if err != nil {
			return
		}
		text := checkpointText(cp.Origin, cp.Size, cp.Root)
		if !bytes.HasPrefix(data, []byte(text+"\n")) {
			t.Fatalf("accepted a note whose text is not %q", text)
		}
		if _, err := OpenCheckpoint(data, nil); err == nil {
			t.Fatal("opened a checkpoint without any trusted key")
		}
	})
}

// FuzzDecodeProof checks that the proof decoder never panics, that what it
// accepts encodes back to the same bytes, and that checking it never
// panics either.
func FuzzDecodeProof(f *testing.F) {
	a, peer := newAgency(f, "wacap", "sn-pj-dakar"), newAgency(f, "wacap", "gh-ag-accra")
	path := filepath.Join(f.TempDir(), FileName)
	buildLog(f, path, a, peer, 5, 0)
	r := openReader(f, path)
	for _, i := range []int64{0, 3, 6} {
		p, err := r.Prove(i)
		if err != nil {
			f.Fatal(err)
		}
		data, err := EncodeProof(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"v":1,"index":0,"record":"","payload":"","hashes":null,"checkpoint":"","card":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeProof(data)
		if err != nil {
			return
		}
		again, err := EncodeProof(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("decode then encode changed the bytes:\n%s\n%s", data, again)
		}
		CheckProof(p, nil)
		CheckProof(p, a.card)
	})
}
