package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/casenode/casenode/protocol"
)

func TestRejectionV2PublisherAndWithheld(t *testing.T) {
	raw := []byte("garbage from a flood")
	r := NewRejection(protocol.ReasonBadSignature, "outer signature does not verify", raw)
	r.Publisher = "gh-ag"
	back, err := DecodeRejection(r.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != RejectionV2 || back.Publisher != "gh-ag" || !back.Complete() || !bytes.Equal(back.Raw, raw) {
		t.Fatalf("round trip: %+v", back)
	}
	r.Withhold()
	data := r.Encode()
	back, err = DecodeRejection(data)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Withheld || back.Complete() || len(back.Raw) != 0 || back.Size != int64(len(raw)) || back.SHA256 != sha256.Sum256(raw) {
		t.Fatalf("withheld round trip: %+v", back)
	}
	if !bytes.Equal(back.Encode(), data) {
		t.Fatal("withheld round trip changed the bytes")
	}
	// Not canonical: withheld but bytes kept; kept flag out of range; a
	// publisher that is no agency id.
	forged := *r
	forged.Raw = raw
	if _, err := DecodeRejection(forged.Encode()); err == nil || !strings.Contains(err.Error(), "must keep 0") {
		t.Fatalf("withheld with bytes kept: %v", err)
	}
	flag := bytes.Clone(data)
	flag[len(flag)-5] = 2
	if _, err := DecodeRejection(flag); err == nil || !strings.Contains(err.Error(), "kept flag") {
		t.Fatalf("kept flag 2: %v", err)
	}
	bad := *back
	bad.Publisher = "GH AG"
	if _, err := DecodeRejection(bad.Encode()); err == nil || !strings.Contains(err.Error(), "publisher") {
		t.Fatalf("bad publisher: %v", err)
	}
}

// TestRejectionV1StillVerifies: a log written before version 2 (its
// rejected records in version 1) still decodes and verifies.
func TestRejectionV1StillVerifies(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag")
	v1 := NewRejection(protocol.ReasonBadSignature, "outer signature does not verify", []byte("forged"))
	v1.Version = RejectionV1
	data := v1.Encode()
	// The version 1 encoding of docs/AUDIT.md, byte for byte.
	want := []byte{1, byte(len("bad-signature"))}
	want = append(want, "bad-signature"...)
	want = append(want, 0, byte(len("outer signature does not verify")))
	want = append(want, "outer signature does not verify"...)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 6)
	sum := sha256.Sum256([]byte("forged"))
	want = append(want, sum[:]...)
	want = append(want, 0, 0, 0, 6)
	want = append(want, "forged"...)
	if !bytes.Equal(data, want) {
		t.Fatalf("version 1 encoding changed:\n%x\n%x", data, want)
	}
	path := testPath(t)
	l := openLog(t, path, a.options())
	if _, err := l.Append(context.Background(), Entry{Type: TypeRejected, Actor: peer.card.Agency, Payload: data}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, path, VerifyOptions{}); err != nil {
		t.Fatalf("a log with a version 1 rejection: %v", err)
	}
	back, err := DecodeRejection(data)
	if err != nil || back.Version != RejectionV1 || back.Publisher != "" || !back.Complete() {
		t.Fatalf("version 1: %+v, %v", back, err)
	}
}
