package witness

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"testing"
	"time"
)

// FuzzParseRequest: the decoder never panics, never accepts more than its
// limits, and what it accepts encodes back to the same bytes.
func FuzzParseRequest(f *testing.F) {
	h := base64.StdEncoding.EncodeToString(make([]byte, 32))
	f.Add([]byte("old 3\n" + h + "\n\n" + testText + "\n— x AAAA\n"))
	f.Add([]byte("old 0\n\n" + testText))
	f.Add([]byte("old 18446744073709551616\n\nx"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRequest(body)
		if err != nil {
			return
		}
		if len(r.Proof) > MaxProofLines || len(r.Checkpoint) > MaxCheckpointSize || r.Old < 0 {
			t.Fatalf("over the limits: %d proof lines, %d bytes", len(r.Proof), len(r.Checkpoint))
		}
		if !bytes.Equal(r.Marshal(), body) {
			t.Fatalf("round trip: %q → %q", body, r.Marshal())
		}
	})
}

// FuzzCheckCosigned: opening any cosigned checkpoint never panics.
func FuzzCheckCosigned(f *testing.F) {
	c, err := NewCosigner("casenode/wacap/witness/hub", ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		f.Fatal(err)
	}
	v, err := NewVerifier(c.VerifierKey())
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(testText + "\n— casenode/wacap/witness/hub AAAA\n"))
	f.Add(append([]byte(testText+"\n"), c.Cosign([]byte(testText), time.Unix(1, 0))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		cosigs, _, err := CheckCosigned(b, []*Verifier{v})
		if err == nil && len(cosigs) > 0 && len(b) > MaxCheckpointSize {
			t.Fatalf("accepted %d bytes", len(b))
		}
	})
}
