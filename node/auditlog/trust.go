package auditlog

import (
	"crypto/ed25519"
	"fmt"
	"sort"
	"time"

	"github.com/casenode/casenode/crypto/seal"
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

// KeysFor returns the keys that judge what signer signed at created, as
// recorded at this point of the log. What another agency signed is judged
// as its node judged it: once a roster is in force, by that roster at the
// time it was created (seal.RosterKeys), so that a message received before
// a revocation, or signed with a previous key during its overlap, stays
// valid, and one created after is not. Before the log's first roster
// record, and for what the agency itself signed, the member cards trusted
// at this point decide.
func (t *Trust) KeysFor(signer string, created time.Time) seal.Keys {
	if t.roster != nil && signer != t.own {
		return &seal.RosterKeys{Roster: t.roster, At: created}
	}
	return t
}

// TrustTrail follows a log's trust from record 0, record by record, the
// way Verify does; 'casenode audit replay' opens messages with it. The zero
// TrustTrail is before record 0.
type TrustTrail struct{ trust *Trust }

// Take takes rec, the next record of the log, with its payload, and
// returns the trust in force from it on: record 0's card starts the
// trust, a key record adds a card, a config record pins the secretariat's
// key and a roster record puts its roster in force (checked as in
// Trust's doc); any other record leaves the trust as it is. A record the
// trust cannot take leaves it as it was, and Take returns why.
func (tt *TrustTrail) Take(rec *Record, payload []byte) (*Trust, error) {
	t, err := tt.trust.next(rec, payload)
	if err != nil {
		return tt.trust, err
	}
	tt.trust = t
	return t, nil
}

// Trust returns the trust in force: nil before record 0.
func (tt *TrustTrail) Trust() *Trust { return tt.trust }

// takeError is a record the trust cannot take, and the kind of
// verification failure that makes.
type takeError struct {
	kind Kind
	what string
}

func (e *takeError) Error() string { return e.what }

// next returns the trust after rec; t is nil before record 0.
func (t *Trust) next(rec *Record, payload []byte) (*Trust, error) {
	if t == nil {
		if rec.Type != TypeKey {
			return nil, &takeError{KindTrust, "record 0 must hold the agency's own member card"}
		}
		card, err := protocol.ParseMemberCard(payload)
		if err != nil {
			return nil, &takeError{KindIntegrity, "record 0 does not hold a valid member card: " + err.Error()}
		}
		n, err := newTrust(card)
		if err != nil {
			return nil, &takeError{KindTrust, err.Error()}
		}
		return n, nil
	}
	switch rec.Type {
	case TypeKey:
		card, err := protocol.ParseMemberCard(payload)
		if err != nil {
			return nil, &takeError{KindIntegrity, "key record does not hold a valid member card: " + err.Error()}
		}
		n, err := t.with(card)
		if err != nil {
			return nil, &takeError{KindTrust, "key record: " + err.Error()}
		}
		return n, nil
	case TypeConfig:
		return t.withConfig(payload), nil
	case TypeRoster:
		n, err := t.withRoster(payload)
		if err != nil {
			return nil, &takeError{KindTrust, "roster record: " + err.Error()}
		}
		return n, nil
	}
	return t, nil
}
