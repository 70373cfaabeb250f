package jws

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/casenode/casenode/protocol"
)

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func lookup(k ed25519.PrivateKey) func(string) (ed25519.PublicKey, error) {
	pub := k.Public().(ed25519.PublicKey)
	return func(kid string) (ed25519.PublicKey, error) {
		if kid != protocol.KeyID(pub) {
			return nil, errors.New("unknown kid")
		}
		return pub, nil
	}
}

func TestSignVerify(t *testing.T) {
	k := newKey(t)
	compact, err := Sign(k, "test+jws", map[string]any{"net": "wacap", "v": 1}, []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	payload, kid, err := Verify(compact, "test+jws", 1<<20, lookup(k))
	if err != nil {
		t.Fatal(err)
	}
	if string(payload) != "payload" || kid != protocol.KeyID(k.Public().(ed25519.PublicKey)) {
		t.Fatalf("got %q %q", payload, kid)
	}
	p, err := Parse(compact, "test+jws", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"alg":"EdDSA","kid":"` + kid + `","net":"wacap","typ":"test+jws","v":1}`
	if string(p.Protected) != want {
		t.Fatalf("protected header\n got %s\nwant %s", p.Protected, want)
	}
	if string(p.Marshal()) != string(compact) {
		t.Fatal("Marshal is not byte-identical to the parsed input")
	}
}

func TestVerifyRejectsOtherKey(t *testing.T) {
	k, other := newKey(t), newKey(t)
	compact, err := Sign(k, "t", nil, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(compact, "t", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(other.Public().(ed25519.PublicKey)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("verify with another key: got %v, want ErrBadSignature", err)
	}
}

// forge builds a compact JWS from a raw protected header, payload and
// signature, signing with k unless sig is given.
func forge(k ed25519.PrivateKey, header, payload string, sig []byte) []byte {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	if sig == nil {
		sig = ed25519.Sign(k, []byte(input))
	}
	return []byte(input + "." + enc.EncodeToString(sig))
}

func TestParseRejects(t *testing.T) {
	k := newKey(t)
	kid := protocol.KeyID(k.Public().(ed25519.PublicKey))
	good, err := Sign(k, "t", nil, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(good), ".")
	// The signature's last character carries two padding bits; setting them
	// gives the same bytes in a second encoding that strict base64 refuses.
	last := parts[2][len(parts[2])-1]
	alt := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", last) ^ 1
	malleable := parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[alt])
	cases := []struct {
		name, want string
		in         []byte
	}{
		{"two parts", "want 3 dot-separated parts", []byte(parts[0] + "." + parts[1])},
		{"padding", "not canonical base64url", []byte(parts[0] + "=." + parts[1] + "." + parts[2])},
		{"non-canonical trailing bits", "not canonical base64url", []byte(malleable)},
		{"alg none", "alg \"none\" is not allowed", forge(k, `{"alg":"none","kid":"`+kid+`","typ":"t"}`, "x", nil)},
		{"alg HS256", "alg \"HS256\" is not allowed", forge(k, `{"alg":"HS256","kid":"`+kid+`","typ":"t"}`, "x", nil)},
		{"embedded jwk", `field "jwk" is not allowed`, forge(k, `{"alg":"EdDSA","jwk":{},"kid":"`+kid+`","typ":"t"}`, "x", nil)},
		{"crit", `field "crit" is not allowed`, forge(k, `{"alg":"EdDSA","crit":["b64"],"kid":"`+kid+`","typ":"t"}`, "x", nil)},
		{"unsorted header", "not canonical JSON", forge(k, `{"kid":"`+kid+`","alg":"EdDSA","typ":"t"}`, "x", nil)},
		{"white space", "not canonical JSON", forge(k, `{"alg": "EdDSA","kid":"`+kid+`","typ":"t"}`, "x", nil)},
		{"duplicate key", "not canonical JSON", forge(k, `{"alg":"EdDSA","kid":"`+kid+`","kid":"`+kid+`","typ":"t"}`, "x", nil)},
		{"wrong typ", `typ is "u"`, forge(k, `{"alg":"EdDSA","kid":"`+kid+`","typ":"u"}`, "x", nil)},
		{"no kid", "no kid", forge(k, `{"alg":"EdDSA","typ":"t"}`, "x", nil)},
		{"short signature", "signature is 3 bytes", forge(k, `{"alg":"EdDSA","kid":"`+kid+`","typ":"t"}`, "x", []byte{1, 2, 3})},
		{"oversized", "over the limit", append(good, make([]byte, 100)...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			limit := len(good) + 90
			_, err := Parse(c.in, "t", limit)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrMalformed containing %q", err, c.want)
			}
		})
	}
}

func TestSignRefusesReservedHeader(t *testing.T) {
	if _, err := Sign(newKey(t), "t", map[string]any{"jwk": "x"}, nil); err == nil || !strings.Contains(err.Error(), `"jwk" is reserved`) {
		t.Fatalf("got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	k := newKey(f)
	for _, extra := range []map[string]any{nil, {"v": 1}, {"to": []string{"a", "b"}}} {
		c, err := Sign(k, "t", extra, []byte(`{"hello":"world"}`))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(c)
	}
	f.Add([]byte("a.b.c"))
	f.Add([]byte("..."))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := Parse(in, "t", 1<<16)
		if err != nil {
			return
		}
		if out := p.Marshal(); string(out) != string(in) {
			t.Fatalf("round trip differs:\n in %q\nout %q", in, out)
		}
	})
}

// TestVerifyRefusesKeyThatIsNotTheKid verifies a JWS whose signature is
// valid under the key offered but whose kid names another key: a caller
// that looked the key up by something other than the kid must not get a
// verification that binds the wrong signer.
func TestVerifyRefusesKeyThatIsNotTheKid(t *testing.T) {
	k, other := newKey(t), newKey(t)
	otherKid := protocol.KeyID(other.Public().(ed25519.PublicKey))
	compact := forge(k, `{"alg":"EdDSA","kid":"`+otherKid+`","typ":"t"}`, "x", nil)
	p, err := Parse(compact, "t", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Verify(k.Public().(ed25519.PublicKey))
	if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "key is not "+otherKid) {
		t.Fatalf("verify with the signing key under another kid: got %v, want ErrBadSignature saying the key is not %s", err, otherKid)
	}
	_, _, err = Verify(compact, "t", 1<<20, func(string) (ed25519.PublicKey, error) { return k.Public().(ed25519.PublicKey), nil })
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify with a look-up that ignores the kid: got %v, want ErrBadSignature", err)
	}
}

func TestSignRefusesEveryReservedHeader(t *testing.T) {
	for _, name := range []string{"alg", "kid", "typ", "jwk", "crit", "b64"} {
		_, err := Sign(newKey(t), "t", map[string]any{name: "x"}, nil)
		if err == nil || !strings.Contains(err.Error(), `"`+name+`" is reserved`) {
			t.Errorf("extra header %q: got %v, want it refused as reserved", name, err)
		}
	}
}

func TestSignRefusesAKeyOfTheWrongLength(t *testing.T) {
	k := newKey(t)
	long := append(ed25519.PrivateKey{}, append(k, 0)...)
	if _, err := Sign(long, "t", nil, []byte("x")); err == nil || !strings.Contains(err.Error(), "not an Ed25519 private key") {
		t.Fatalf("a %d-byte key: got %v, want it refused", len(long), err)
	}
}

// TestParseEdges holds Parse to its limits: a JWS of exactly the limit, an
// empty payload (allowed), and an empty header or signature (not allowed,
// named by their position).
func TestParseEdges(t *testing.T) {
	k := newKey(t)
	good, err := Sign(k, "t", nil, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(good, "t", len(good)); err != nil {
		t.Fatalf("a JWS of exactly the limit: %v", err)
	}
	empty, err := Sign(k, "t", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(empty, "t", 1<<20)
	if err != nil || len(p.Payload) != 0 {
		t.Fatalf("an empty payload: %v", err)
	}
	parts := strings.Split(string(good), ".")
	for _, c := range []struct{ in, want string }{
		{"." + parts[1] + "." + parts[2], "part 1 is not canonical"},
		{parts[0] + "." + parts[1] + ".", "part 3 is not canonical"},
		{parts[0] + ".!." + parts[2], "part 2 is not canonical"},
	} {
		if _, err := Parse([]byte(c.in), "t", 1<<20); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.in, err, c.want)
		}
	}
}
