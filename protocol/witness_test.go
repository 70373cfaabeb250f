package protocol

import (
	"crypto/ed25519"
	"strings"
	"testing"
)

func TestParseWitnessKey(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	good := WitnessKey("casenode/wacap/witness/hub", pub)
	if name, got, err := ParseWitnessKey(good); err != nil || name != "casenode/wacap/witness/hub" || !got.Equal(pub) {
		t.Fatalf("%q: %q %x %v", good, name, got, err)
	}
	parts := strings.SplitN(good, "+", 3)
	hash, key := parts[1], parts[2]
	other := WitnessKey("casenode/wacap/witness/other", pub)
	for what, vkey := range map[string]string{
		"no parts":             "casenode/wacap/witness/hub",
		"hash of another name": "casenode/wacap/witness/hub+" + strings.SplitN(other, "+", 3)[1] + "+" + key,
		"upper-case hash":      "casenode/wacap/witness/hub+" + strings.ToUpper(hash) + "+" + key,
		"short hash":           "casenode/wacap/witness/hub+" + hash[1:] + "+" + key,
		"note key type 0x01":   "casenode/wacap/witness/hub+" + hash + "+AQ" + key[2:],
		"key of 34 bytes":      "casenode/wacap/witness/hub+" + hash + "+" + key + "AA==",
		"space in name":        "casenode/wacap witness+" + hash + "+" + key,
		"empty name":           "+" + hash + "+" + key,
		"too long":             strings.Repeat("x", 300),
	} {
		if _, _, err := ParseWitnessKey(vkey); err == nil {
			t.Errorf("%s: %q accepted", what, vkey)
		}
	}
}

func TestRosterWitnesses(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	r := &Roster{Witnesses: []string{WitnessKey("casenode/wacap/witness/hub", pub)}}
	if err := r.validateWitnesses(); err != nil {
		t.Fatal(err)
	}
	if !r.HasWitness(r.Witnesses[0]) || r.HasWitness("x") {
		t.Fatal("HasWitness")
	}
	r.Witnesses = append(r.Witnesses, r.Witnesses[0])
	if err := r.validateWitnesses(); err == nil || !strings.Contains(err.Error(), "roster.witnesses[1]: \"casenode/wacap/witness/hub\" is listed twice") {
		t.Fatalf("twice: %v", err)
	}
	r.Witnesses = []string{"junk"}
	if err := r.validateWitnesses(); err == nil || !strings.HasPrefix(err.Error(), "roster.witnesses[0]: ") {
		t.Fatalf("junk: %v", err)
	}
	if (&Roster{}).validateWitnesses() != nil {
		t.Fatal("a roster without witnesses is valid")
	}
}
