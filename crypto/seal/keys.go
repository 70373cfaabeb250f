package seal

import (
	"crypto/ed25519"
	"fmt"
	"sort"

	"github.com/casenode/casenode/protocol"
)

// Keys is the set of agencies a node trusts: the member cards given on the
// command line (CardSet) or the network roster in force.
type Keys interface {
	// Card returns the member card of agency, or an error with reason
	// unknown-sender.
	Card(agency string) (*protocol.MemberCard, error)
	// SigningKey returns the signing key with id kid trusted for agency,
	// or an error with reason unknown-sender or unknown-key.
	SigningKey(agency, kid string) (ed25519.PublicKey, error)
}

var _ Keys = (*CardSet)(nil)

// CardSet is a fixed set of trusted member cards, one per agency.
type CardSet struct {
	cards map[string]*protocol.MemberCard
}

// NewCardSet returns a set holding cards. A later card for the same agency
// replaces an earlier one.
func NewCardSet(cards ...*protocol.MemberCard) *CardSet {
	s := &CardSet{cards: make(map[string]*protocol.MemberCard)}
	for _, c := range cards {
		s.Add(c)
	}
	return s
}

// Add trusts card for its agency from now on.
func (s *CardSet) Add(c *protocol.MemberCard) { s.cards[c.Agency] = c }

// Agencies returns the agency ids in the set, sorted.
func (s *CardSet) Agencies() []string {
	out := make([]string, 0, len(s.cards))
	for a := range s.cards {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Card implements Keys.
func (s *CardSet) Card(agency string) (*protocol.MemberCard, error) {
	c, ok := s.cards[agency]
	if !ok {
		return nil, reject(protocol.ReasonUnknownSender, "no trusted member card for agency %q", agency)
	}
	return c, nil
}

// SigningKey implements Keys.
func (s *CardSet) SigningKey(agency, kid string) (ed25519.PublicKey, error) {
	c, err := s.Card(agency)
	if err != nil {
		return nil, err
	}
	if c.KeyID() != kid {
		return nil, reject(protocol.ReasonUnknownKey, "agency %q signed with key %s, but its trusted card has key %s", agency, kid, c.KeyID())
	}
	return c.PublicKey(), nil
}

// checkKinds returns an error naming every recipient whose age recipient
// kind differs from want.
func checkKinds(want protocol.RecipientKind, cards []*protocol.MemberCard) error {
	var odd []string
	for _, c := range cards {
		if c.Kind() != want {
			odd = append(odd, fmt.Sprintf("%s (%s)", c.Agency, c.Kind()))
		}
	}
	if len(odd) > 0 {
		return &MixedKindsError{Want: want, Odd: odd}
	}
	return nil
}
