package jws

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

// goJoseSign is how Sign worked before it built the compact form itself:
// through go-jose's signer. Ed25519 is deterministic, so both must give the
// same bytes.
func goJoseSign(t testing.TB, key ed25519.PrivateKey, typ string, extra map[string]any, payload []byte) []byte {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", protocol.KeyID(key.Public().(ed25519.PublicKey)))
	for k, v := range extra {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

// checkWithGoJose verifies compact with go-jose alone (its parser with
// the EdDSA allow-list, its verification) and checks what it signed.
func checkWithGoJose(t testing.TB, key ed25519.PrivateKey, compact, payload []byte) {
	t.Helper()
	obj, err := jose.ParseSignedCompact(string(compact), []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatalf("go-jose cannot parse %s: %v", compact, err)
	}
	got, err := obj.Verify(key.Public())
	if err != nil {
		t.Fatalf("go-jose does not verify %s: %v", compact, err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("go-jose verified payload %q, want %q", got, payload)
	}
	if alg := obj.Signatures[0].Protected.Algorithm; alg != string(jose.EdDSA) {
		t.Fatalf("alg %q", alg)
	}
	// The allow-list holds: go-jose refuses the same JWS when EdDSA is not allowed.
	if _, err := jose.ParseSignedCompact(string(compact), []jose.SignatureAlgorithm{jose.ES256}); err == nil {
		t.Fatal("go-jose parsed an EdDSA JWS with only ES256 allowed")
	}
}

// TestSignIsGoJoseSign signs with Sign and SignDetached what go-jose's
// signer signs, headers of every kind casenode uses (a message header's
// fields with times, numbers, lists and strings that JSON escapes): the
// bytes are go-jose's, go-jose verifies them, and a detached signature is
// the compact one's.
func TestSignIsGoJoseSign(t *testing.T) {
	key := newKey(t)
	created := time.Date(2026, 12, 6, 18, 30, 1, 123456789, time.FixedZone("WAT", 3600))
	for _, c := range []struct {
		typ     string
		extra   map[string]any
		payload []byte
	}{
		{protocol.ReceiptJWSType, nil, []byte(`{"kind":"delivered"}`)},
		{protocol.BodyJWSType, nil, []byte{}},
		{protocol.MessageJWSType, (&protocol.Header{V: 2, Net: "wacap", From: "sn-pj", To: []string{"gh-ag", "ng-moj"}, ID: "01J", MsgType: "case.lead", Case: "c<1>&\u2028é", Created: protocol.NewTime(created)}).Fields(), bytes.Repeat([]byte{0, 0xff, '.'}, 700)},
		{"test+jws", map[string]any{"n": 1.5, "b": true, "z": nil, "t": created, "s": "\"quoted\"\\\n"}, []byte("x")},
	} {
		got, err := Sign(key, c.typ, c.extra, c.payload)
		if err != nil {
			t.Fatal(err)
		}
		if want := goJoseSign(t, key, c.typ, c.extra, c.payload); !bytes.Equal(got, want) {
			t.Fatalf("%s: Sign gives\n%s\ngo-jose's signer\n%s", c.typ, got, want)
		}
		checkWithGoJose(t, key, got, c.payload)
		if _, err := Parse(got, c.typ, 1<<20); err != nil {
			t.Fatalf("%s: Parse refuses what Sign made: %v", c.typ, err)
		}
		protected, sig, err := SignDetached(key, c.typ, c.extra, c.payload)
		if err != nil {
			t.Fatal(err)
		}
		if compact := (&Parsed{Protected: protected, Payload: c.payload, Signature: sig}).Marshal(); !bytes.Equal(compact, got) {
			t.Fatalf("%s: the detached parts make\n%s\nnot\n%s", c.typ, compact, got)
		}
		p, err := ParseDetached(protected, c.payload, sig, c.typ, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(key.Public().(ed25519.PublicKey)); err != nil {
			t.Fatalf("%s: the detached signature does not verify through go-jose: %v", c.typ, err)
		}
	}
}

// FuzzSign checks Sign against go-jose's signer and verifier on any
// payload and header strings: Sign's bytes are go-jose's, go-jose
// verifies them and Parse accepts them.
func FuzzSign(f *testing.F) {
	f.Add("case.lead", "c-1", []byte("payload"))
	f.Add("x", "<&>\u2028", []byte{})
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	f.Fuzz(func(t *testing.T, typ, value string, payload []byte) {
		extra := map[string]any{"case": value, "v": len(value)}
		got, err := Sign(key, typ, extra, payload)
		if err != nil {
			t.Fatal(err)
		}
		checkWithGoJose(t, key, got, payload)
		// A typ that is not UTF-8 reads back as another (JSON replaces the
		// bytes with U+FFFD): Parse refuses it, as it did go-jose's.
		if _, err := Parse(got, typ, 1<<30); err != nil && utf8.ValidString(typ) {
			t.Fatalf("Parse refuses what Sign made: %v", err)
		}
		if want := goJoseSign(t, key, typ, extra, payload); !bytes.Equal(got, want) {
			t.Fatalf("Sign gives\n%s\ngo-jose's signer\n%s", got, want)
		}
	})
}

// BenchmarkSign signs a message header's fields over 3 KiB, as a sealed
// message's outer signature does, with Sign and with go-jose's signer.
func BenchmarkSign(b *testing.B) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	extra := (&protocol.Header{V: 2, Net: "wacap", From: "sn-pj", To: []string{"gh-ag"}, ID: "01J", MsgType: "case.lead", Created: protocol.NewTime(time.Now())}).Fields()
	payload := bytes.Repeat([]byte{1}, 3<<10)
	b.Run("casenode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Sign(key, protocol.MessageJWSType, extra, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-jose", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			goJoseSign(b, key, protocol.MessageJWSType, extra, payload)
		}
	})
}
