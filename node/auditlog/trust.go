package auditlog

import (
	"crypto/ed25519"
	"fmt"
	"sort"

	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/note"
)

// Trust is what a log trusts at one point of it: the member card of each
// agency from the newest key record for it so far, the log's own card
// among them; the secretariat key pinned by the newest config record; and
// the roster of the newest roster record, verified with that key. A Trust
// never changes; each key, config or roster record makes a new one, so
// that checks of different records can run in parallel. It has the methods
// of seal.Keys (by the cards).
type Trust struct {
	own      string // the log's own agency
	network  string
	cards    map[string]*protocol.MemberCard
	verifier note.Verifier // of the own card, for checkpoints

	pinned    ed25519.PublicKey // the secretariat key of the config in force
	roster    *protocol.Roster  // the roster in force, nil before the first
	rosterJWS []byte            // its signed form
}

// newTrust returns the trust of a log whose record 0 holds own.
func newTrust(own *protocol.MemberCard) (*Trust, error) {
	t := &Trust{own: own.Agency, network: own.Network, cards: map[string]*protocol.MemberCard{}}
	return t.with(own)
}

// with returns t with card trusted for its agency from now on.
func (t *Trust) with(card *protocol.MemberCard) (*Trust, error) {
	if card.Network != t.network {
		return nil, fmt.Errorf("card of %s is for network %q, not %q", card.Agency, card.Network, t.network)
	}
	n := t.clone()
	n.cards[card.Agency] = card
	if card.Agency == t.own {
		v, err := NewVerifier(Origin(t.network, t.own), card.PublicKey())
		if err != nil {
			return nil, err
		}
		n.verifier = v
	}
	return n, nil
}

// clone returns a copy of t to change.
func (t *Trust) clone() *Trust {
	n := *t
	n.cards = make(map[string]*protocol.MemberCard, len(t.cards)+1)
	for a, c := range t.cards {
		n.cards[a] = c
	}
	return &n
}

// Roster returns the roster in force at this point of the log: the one of
// the newest roster record, verified with the pinned secretariat key; nil
// before the first roster record.
func (t *Trust) Roster() *protocol.Roster { return t.roster }

// Network returns the network of the log.
func (t *Trust) Network() string { return t.network }

// Own returns the log's own card in force.
func (t *Trust) Own() *protocol.MemberCard { return t.cards[t.own] }

// Agencies returns the agencies with a trusted card, sorted.
func (t *Trust) Agencies() []string {
	out := make([]string, 0, len(t.cards))
	for a := range t.cards {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Card returns the trusted card of agency.
func (t *Trust) Card(agency string) (*protocol.MemberCard, error) {
	c, ok := t.cards[agency]
	if !ok {
		return nil, fmt.Errorf("no card of agency %q trusted at this point of the log", agency)
	}
	return c, nil
}

// SigningKey returns agency's signing key with id kid, if its trusted card
// has that key.
func (t *Trust) SigningKey(agency, kid string) (ed25519.PublicKey, error) {
	c, err := t.Card(agency)
	if err != nil {
		return nil, err
	}
	if c.KeyID() != kid {
		return nil, fmt.Errorf("agency %q signed with key %s, but its card trusted at this point of the log has key %s", agency, kid, c.KeyID())
	}
	return c.PublicKey(), nil
}

// checkpointVerifiers returns the verifiers of the log's checkpoints at
// this point: the own card's key under the log's origin.
func (t *Trust) checkpointVerifiers() note.Verifiers { return note.VerifierList(t.verifier) }
