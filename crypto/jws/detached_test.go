package jws

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// TestDetachedRoundTrip: what SignDetached returns, ParseDetached takes and
// Verify accepts with the signer's key only; the detached serialization is
// the compact one less its payload.
func TestDetachedRoundTrip(t *testing.T) {
	k := newKey(t)
	for _, payload := range [][]byte{[]byte("payload"), {}} {
		prot, sig, err := SignDetached(k, "test+jws", map[string]any{"net": "wacap"}, payload)
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != ed25519.SignatureSize || !bytes.HasPrefix(prot, []byte(`{"alg":"EdDSA"`)) {
			t.Fatalf("signature of %d bytes, protected header %s", len(sig), prot)
		}
		compact, err := Sign(k, "test+jws", map[string]any{"net": "wacap"}, payload)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParseDetached(prot, payload, sig, "test+jws", len(payload))
		if err != nil {
			t.Fatalf("%q: %v", payload, err)
		}
		if err := p.Verify(k.Public().(ed25519.PublicKey)); err != nil {
			t.Fatalf("%q: verify: %v", payload, err)
		}
		if err := p.Verify(newKey(t).Public().(ed25519.PublicKey)); err == nil {
			t.Fatalf("%q: verified with another key", payload)
		}
		parts := strings.Split(string(compact), ".")
		if got, want := string(p.Detached()), parts[0]+".."+parts[2]; got != want {
			t.Fatalf("detached %s, want %s", got, want)
		}
		if len(payload) == 0 {
			// A nil payload is the empty one.
			q, err := ParseDetached(prot, nil, sig, "test+jws", 0)
			if err != nil || q.Payload == nil || q.Verify(k.Public().(ed25519.PublicKey)) != nil {
				t.Fatalf("nil payload: %v", err)
			}
		}
	}
}

// TestParseDetachedRejects: a payload over the limit, a signature of
// another size, a header of another type, and a signature of another
// payload are refused.
func TestParseDetachedRejects(t *testing.T) {
	k := newKey(t)
	payload := []byte("payload")
	prot, sig, err := SignDetached(k, "test+jws", nil, payload)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name               string
		prot, payload, sig []byte
		typ                string
		limit              int
		want               string
	}{
		{"payload a byte over the limit", prot, payload, sig, "test+jws", len(payload) - 1, "payload is 7 bytes, over the limit of 6"},
		{"signature a byte short", prot, payload, sig[:63], "test+jws", 100, "signature is 63 bytes, want 64"},
		{"signature a byte long", prot, payload, append(append([]byte{}, sig...), 0), "test+jws", 100, "signature is 65 bytes, want 64"},
		{"another type", prot, payload, sig, "other+jws", 100, "typ"},
	} {
		_, err := ParseDetached(c.prot, c.payload, c.sig, c.typ, c.limit)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	p, err := ParseDetached(prot, []byte("payloaD"), sig, "test+jws", 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(k.Public().(ed25519.PublicKey)); err == nil {
		t.Fatal("a signature verified over another payload")
	}
}
