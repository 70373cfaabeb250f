package auditlog

import (
	"encoding/base64"
	"strings"
	"testing"
)

// respell changes the unused low bits of the last base64 character of a
// signed note's last signature: the same signature bytes, spelled another
// way.
func respell(t testing.TB, signed string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.LastIndex(signed, "=\n") - 1
	if i < 0 {
		t.Fatalf("no padded signature in %q", signed)
	}
	v := strings.IndexByte(alphabet, signed[i])
	out := signed[:i] + string(alphabet[v^1]) + signed[i+1:]
	sig := out[strings.LastIndexByte(out[:len(out)-1], ' ')+1 : len(out)-1]
	orig := signed[strings.LastIndexByte(signed[:len(signed)-1], ' ')+1 : len(signed)-1]
	a, err1 := base64.StdEncoding.DecodeString(sig)
	b, err2 := base64.StdEncoding.DecodeString(orig)
	if err1 != nil || err2 != nil || string(a) != string(b) {
		t.Fatalf("respelled signature decodes to other bytes (%v, %v)", err1, err2)
	}
	return out
}

// TestCheckProofRefusesRespelledSignature: a checkpoint's signature in
// base64 whose unused bits are set decodes to the same bytes and verifies
// with a lenient decoder; a proof carrying it is refused, so that one
// proof has one spelling.
func TestCheckProofRefusesRespelledSignature(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag")
	path := testPath(t)
	buildLog(t, path, a, peer, 8, 0)
	p, err := openReader(t, path).Prove(3)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := CheckProof(p, a.card); err != nil {
		t.Fatal(err)
	}
	p.Checkpoint = respell(t, p.Checkpoint)
	_, _, err = CheckProof(p, a.card)
	if err == nil || !strings.Contains(err.Error(), "not in canonical base64") {
		t.Fatalf("got %v", err)
	}
}
