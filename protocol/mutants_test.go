package protocol_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

// The tests of this file hold the limits and checks that mutation testing
// (make mutants) found unheld: each at its exact boundary.

// TestDecodeStrictKeysAtTheEdges: keys of every allowed character at the
// ends of its ranges are taken; keys spaced from their colon are still
// checked as keys; a JSON string alone, ending the input, decodes.
func TestDecodeStrictKeysAtTheEdges(t *testing.T) {
	var m map[string]int
	if err := protocol.DecodeStrict("keys", []byte(`{"a0":1,"z9":2,"_":3}`), 100, &m); err != nil || m["a0"] != 1 || m["z9"] != 2 || m["_"] != 3 {
		t.Fatalf("keys a0, z9, _: %v, %v", m, err)
	}
	for _, in := range []string{`{"Title" : 1}`, "{\"Title\"\n\t\r:1}", `{"a" :1,"a" :2}`} {
		var v struct {
			Title int `json:"title"`
			A     int `json:"a"`
		}
		err := protocol.DecodeStrict("spaced", []byte(in), 100, &v)
		if err == nil || !(strings.Contains(err.Error(), "keys are lowercase") || strings.Contains(err.Error(), `duplicate key "a"`)) {
			t.Errorf("%q: %v, want the key refused", in, err)
		}
	}
	var s string
	if err := protocol.DecodeStrict("string", []byte(`"abc"`), 100, &s); err != nil || s != "abc" {
		t.Fatalf(`"abc": %q, %v`, s, err)
	}
}

// TestValidateIDEdges: ids of the characters at the ends of the allowed
// ranges are valid.
func TestValidateIDEdges(t *testing.T) {
	for _, id := range []string{"a", "z", "a0", "z9", "zz-z", "0-9"} {
		if err := protocol.ValidateID("agency", id); err != nil {
			t.Errorf("ValidateID(%q): %v", id, err)
		}
	}
	for _, id := range []string{"a_b", "A", "a/", "a:", "a`", "a{"} {
		if err := protocol.ValidateID("agency", id); err == nil {
			t.Errorf("ValidateID(%q) accepted", id)
		}
	}
}

// shortJWK returns the JWK of an Ed25519 "public key" a byte short: what
// only Go code, never go-jose's JSON decoding, can put in a card (and
// whose thumbprint go-jose refuses to compute).
func shortJWK(t *testing.T) jose.JSONWebKey {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: pub[:ed25519.PublicKeySize-1], KeyID: protocol.KeyID(pub), Algorithm: string(jose.EdDSA), Use: "sig"}
}

// TestCardAndRosterRefuseAShortKey: a card's signing key and a previous
// key must be Ed25519 keys of 32 bytes, however they were made: refused
// with an error that names the field, not a panic.
func TestCardAndRosterRefuseAShortKey(t *testing.T) {
	r := testRoster(t, "wacap-secretariat", "gh-ag")
	card := r.Members[0].Card
	if err := card.ValidateFields(); err != nil {
		t.Fatalf("the card as made: %v", err)
	}
	card.SigningKey = shortJWK(t)
	if err := card.ValidateFields(); err == nil || !strings.Contains(err.Error(), "member card signing_key: must be a public Ed25519 JWK") {
		t.Fatalf("a card with a 31-byte key: %v", err)
	}

	p := previousKey(t, rosterNow, false)
	p.SigningKey = shortJWK(t)
	r.Members[1].Previous = []protocol.PreviousKey{p}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "previous[0].signing_key: must be a public Ed25519 JWK") {
		t.Fatalf("a previous key of 31 bytes: %v", err)
	}
}

// TestRosterLimitsExactly: a member may have exactly MaxPreviousKeys
// previous keys, and a roster may encode to exactly MaxRosterSize bytes.
func TestRosterLimitsExactly(t *testing.T) {
	r := testRoster(t, "wacap-secretariat", "gh-ag")
	for range protocol.MaxPreviousKeys {
		r.Members[1].Previous = append(r.Members[1].Previous, previousKey(t, rosterNow, false))
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("%d previous keys: %v", protocol.MaxPreviousKeys, err)
	}

	r.Members[0].Card.Name = ""
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	r.Members[0].Card.Name = strings.Repeat("n", protocol.MaxRosterSize-len(b))
	if b, err := r.Marshal(); err != nil || len(b) != protocol.MaxRosterSize {
		t.Fatalf("a roster of the limit: %d bytes, %v", len(b), err)
	}
	r.Members[0].Card.Name += "n"
	if _, err := r.Marshal(); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Fatalf("a roster a byte over the limit: %v", err)
	}
}

// TestRosterMemberAfterTheLast: looking up an agency sorted after every
// member finds none.
func TestRosterMemberAfterTheLast(t *testing.T) {
	r := testRoster(t, "wacap-secretariat", "gh-ag")
	for _, a := range []string{"zz-last", "aa-first", "m-middle"} {
		if m := r.Member(a); m != nil {
			t.Errorf("Member(%q) = %s", a, m.Card.Agency)
		}
	}
	if m := r.Member("wacap-secretariat"); m == nil || m.Card.Agency != "wacap-secretariat" {
		t.Fatalf("the last member not found: %v", m)
	}
}

// TestRosterCheckSuccessorWithoutSecretariat: a roster whose secretariat
// is not among its members, before or after, is no successor.
func TestRosterCheckSuccessorWithoutSecretariat(t *testing.T) {
	prev := testRoster(t, "wacap-secretariat", "gh-ag")
	for _, c := range []struct {
		name       string
		prev, next string // the secretariats
	}{
		{"the previous one's secretariat is not a member", "zz-gone", "wacap-secretariat"},
		{"the next one's secretariat is not a member", "wacap-secretariat", "zz-gone"},
		{"neither is", "zz-gone", "zz-gone"},
	} {
		p, next := *prev, *prev
		p.Secretariat = c.prev
		next.Serial, next.Secretariat = 2, c.next
		if err := next.CheckSuccessor(&p); err == nil || !strings.Contains(err.Error(), "changes the secretariat's key") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
