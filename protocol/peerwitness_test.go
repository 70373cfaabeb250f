package protocol_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

func testPeerWitness() *protocol.PeerWitness {
	return &protocol.PeerWitness{Version: 1, ID: "01a24acb-cd00-72e4-abdf-c4fd8874bf2f", Network: "wacap",
		From: "sn-pj", To: "gh-ag", Kind: protocol.PeerWitnessAnswer, Size: 12, Status: 200,
		Body: "— casenode/wacap/witness/peer/gh-ag AAAA\n", Time: protocol.NewTime(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))}
}

func TestPeerWitnessIsStrict(t *testing.T) {
	data, err := testPeerWitness().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := protocol.ParsePeerWitness(data); err != nil || *p != *testPeerWitness() {
		t.Fatalf("round trip: %+v %v", p, err)
	}
	for name, edit := range map[string]func(*protocol.PeerWitness){
		"version":               func(p *protocol.PeerWitness) { p.Version = 2 },
		"id":                    func(p *protocol.PeerWitness) { p.ID = "x" },
		"to itself":             func(p *protocol.PeerWitness) { p.To = p.From },
		"kind":                  func(p *protocol.PeerWitness) { p.Kind = "gossip" },
		"request with a status": func(p *protocol.PeerWitness) { p.Kind = protocol.PeerWitnessRequest },
		"status":                func(p *protocol.PeerWitness) { p.Status = 42 },
		"negative size":         func(p *protocol.PeerWitness) { p.Size = -1 },
		"body over limit":       func(p *protocol.PeerWitness) { p.Body = strings.Repeat("x", protocol.MaxPeerWitnessBody+1) },
		"no time":               func(p *protocol.PeerWitness) { p.Time = protocol.Time{} },
		"empty request": func(p *protocol.PeerWitness) {
			p.Kind, p.Size, p.Status, p.Body = protocol.PeerWitnessRequest, 0, 0, ""
		},
	} {
		p := testPeerWitness()
		edit(p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: valid", name)
		}
	}
}

func TestWitnessKeysOfARoster(t *testing.T) {
	r := testRoster(t, "gh-ag", "sn-pj-dakar")
	r.Members[0].Status = protocol.StatusRevoked
	keys := r.WitnessKeys("sn-pj-dakar")
	var names []string
	for _, k := range keys {
		name, _, err := protocol.ParseWitnessKey(k)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	for _, m := range r.Members {
		peer := protocol.PeerWitnessName(r.Network, m.Card.Agency)
		want := m.Card.Agency != "sn-pj-dakar" && m.Status == protocol.StatusActive
		if slices.Contains(names, peer) != want {
			t.Errorf("%s (%s): listed %v, want %v", peer, m.Status, slices.Contains(names, peer), want)
		}
		if a, ok := protocol.PeerWitnessAgency(r.Network, peer); !ok || a != m.Card.Agency {
			t.Errorf("PeerWitnessAgency(%q) = %q %v", peer, a, ok)
		}
	}
	if _, ok := protocol.PeerWitnessAgency(r.Network, protocol.HubWitnessName(r.Network)); ok {
		t.Error("the hub's witness name read as a peer's")
	}
}

// FuzzParsePeerWitness: the decoder never panics, and what it accepts
// encodes back to the same bytes.
func FuzzParsePeerWitness(f *testing.F) {
	data, err := testPeerWitness().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := protocol.ParsePeerWitness(data)
		if err != nil {
			return
		}
		again, err := p.Marshal()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("round trip: %q → %q (%v)", data, again, err)
		}
	})
}
