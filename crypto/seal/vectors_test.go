package seal

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/cryptotest"

	"filippo.io/age"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
)

var updateVectors = flag.Bool("update", false, "rewrite testdata/vectors from the deterministic generator")

// vector is one test vector of docs/PROTOCOL.md §8: the keys of a sender
// and a recipient (test keys, made for this file only), a sealed message
// and what opening it gives.
type vector struct {
	Comment   string          `json:"comment"`
	Version   int             `json:"version"`
	Kind      string          `json:"kind"`
	Sender    vectorParty     `json:"sender"`
	Recipient vectorParty     `json:"recipient"`
	Message   string          `json:"message"` // base64url (no padding) of the exact bytes
	Body      json.RawMessage `json:"body"`    // what Open returns
	Proof     string          `json:"proof"`   // the inner JWS, attached, as Open returns it
}

type vectorParty struct {
	Card        *protocol.MemberCard `json:"card"`
	SigningSeed string               `json:"signing_seed"` // base64url of the Ed25519 seed
	AgeIdentity string               `json:"age_identity"`
}

// vectorCases are the vectors kept in testdata/vectors, each with its seed.
var vectorCases = []struct {
	name    string
	version int
	kind    protocol.RecipientKind
	seed    uint64
}{
	{"v2-x25519", 2, protocol.KindClassic, 1},
	{"v2-mlkem768x25519", 2, protocol.KindHybrid, 2},
	{"v1-x25519", 1, protocol.KindClassic, 3},
}

// generateVector makes a vector from a deterministic random source: the
// same seed gives the same bytes.
func generateVector(t *testing.T, version int, kind protocol.RecipientKind, seed uint64) *vector {
	cryptotest.SetGlobalRandom(t, seed)
	party := func(agency string) (*identity.Identity, vectorParty) {
		id, err := identity.Generate("wacap", agency, "Agency "+agency, "SN", kind, now)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := id.Age.(fmt.Stringer)
		return id, vectorParty{Card: id.Card, SigningSeed: base64.RawURLEncoding.EncodeToString(id.Signing.Seed()), AgeIdentity: s.String()}
	}
	sender, sp := party("sn-pj-dakar")
	recipient, rp := party("gh-ag-accra")
	s, err := Seal(sender, []*protocol.MemberCard{recipient.Card}, protocol.TypeLead, leadBody(), Options{
		Now: now, Case: "sn-2026-0142", Version: version, // the id from the seeded random source
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := Open(s.Raw, recipient, NewCardSet(sender.Card), VerifyOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return &vector{
		Comment: fmt.Sprintf("casenode sealed message, format version %d, %s keys; test keys only", version, kind),
		Version: version, Kind: string(kind), Sender: sp, Recipient: rp,
		Message: base64.RawURLEncoding.EncodeToString(s.Raw), Body: o.Body, Proof: string(o.Signed),
	}
}

// TestVectors regenerates every vector and compares it with the file (go
// test -run TestVectors -update rewrites them), then opens each file's
// message with the keys it holds, as the recipient and as the sender.
func TestVectors(t *testing.T) {
	for _, c := range vectorCases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join("testdata", "vectors", c.name+".json")
			want, err := json.MarshalIndent(generateVector(t, c.version, c.kind, c.seed), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			if *updateVectors {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s differs from what the generator makes (run go test -run TestVectors -update if the format changed on purpose)", path)
			}
			checkVector(t, got)
		})
	}
}

// checkVector opens a vector's message with its keys.
func checkVector(t *testing.T, data []byte) {
	t.Helper()
	var v vector
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	sender, recipient := vectorIdentity(t, v.Sender), vectorIdentity(t, v.Recipient)
	raw, err := base64.RawURLEncoding.DecodeString(v.Message)
	if err != nil {
		t.Fatal(err)
	}
	if v.Version == 2 && !bytes.HasPrefix(raw, []byte{0, 'c', 'n', 2}) || v.Version == 1 && !strings.HasPrefix(string(raw), "eyJ") {
		t.Fatalf("message does not start as a version %d message", v.Version)
	}
	keys := NewCardSet(v.Sender.Card, v.Recipient.Card)
	for _, me := range []*identity.Identity{recipient, sender} {
		o, err := Open(raw, me, keys, VerifyOptions{Now: now})
		if err != nil {
			t.Fatalf("open as %s: %v", me.Agency(), err)
		}
		if !bytes.Equal(o.Body, compactJSON(t, v.Body)) || string(o.Signed) != v.Proof || o.Header.V != v.Version {
			t.Fatalf("open as %s: body, proof or version differ", me.Agency())
		}
	}
}

func vectorIdentity(t *testing.T, p vectorParty) *identity.Identity {
	t.Helper()
	seed, err := base64.RawURLEncoding.DecodeString(p.SigningSeed)
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("signing seed: %v", err)
	}
	var a age.Identity
	if strings.HasPrefix(p.AgeIdentity, "AGE-SECRET-KEY-PQ-") {
		a, err = age.ParseHybridIdentity(p.AgeIdentity)
	} else {
		a, err = age.ParseX25519Identity(p.AgeIdentity)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &identity.Identity{Card: p.Card, Signing: ed25519.NewKeyFromSeed(seed), Age: a}
}
