package agency

import (
	"context"
	"fmt"
	"slices"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// PublishContact sends the agency's contact card to every other active
// member but the secretariat (which runs the hub, not a node) and keeps it
// as the agency's own entry in the directory. The card
// must describe this agency and be newer than the one published before.
func (n *Node) PublishContact(ctx context.Context, actor Actor, card []byte) (*SendResult, error) {
	b, err := protocol.DecodeBody(protocol.TypeContact, card)
	if err != nil {
		return nil, invalid("run 'casenode example contact.card' for a valid card", "%v", err)
	}
	c := b.(*protocol.ContactCard)
	if c.Agency != n.cfg.Agency {
		return nil, invalid("an agency publishes only its own card: set agency to "+n.cfg.Agency, "contact card of agency %q, but this node is %q", c.Agency, n.cfg.Agency)
	}
	var old *store.Contact
	if err := n.store.View(func(tx *store.Tx) error { old, err = tx.Contact(c.Agency); return err }); err != nil {
		return nil, err
	}
	if old != nil && !c.Supersedes(old.Card) {
		return nil, invalid("set updated to the time of this change", "the card's updated %s is not after the card published before (%s): receivers would ignore it", c.Updated, old.Card.Updated)
	}
	rf := n.rosterNow()
	if rf == nil {
		return nil, n.noRosterError("knows no member")
	}
	var to []string
	for _, m := range rf.roster.Active() {
		// The secretariat runs the hub, not a node: nobody would receive
		// its copy, which would wait for a receipt forever.
		if m.Card.Agency != n.cfg.Agency && m.Card.Agency != rf.roster.Secretariat {
			to = append(to, m.Card.Agency)
		}
	}
	if len(to) == 0 {
		return nil, notReady("publish it once other agencies have joined", "no other active member in roster serial %d", rf.roster.Serial)
	}
	res, err := n.send(ctx, actor, SendRequest{To: to, Type: protocol.TypeContact, Body: card})
	if err != nil {
		return nil, err
	}
	err = n.store.Commit(func(tx *store.Tx) error {
		_, err := tx.OfferContact(&store.Contact{Card: c, MessageID: res.ID, Received: res.Created})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("keep the agency's own card: %w", err)
	}
	return res, nil
}

// ContactQuery selects contact cards. Zero fields select everything.
type ContactQuery struct {
	// Country selects the agencies of one country (ISO 3166-1 alpha-2).
	Country string `json:"country,omitempty"`
	// Role keeps, of each card, the contacts with this role, and the cards
	// that have one.
	Role protocol.ContactRole `json:"role,omitempty"`
}

// Contacts returns the newest contact card of each agency q selects, in
// agency order.
func (n *Node) Contacts(ctx context.Context, q ContactQuery) ([]*Contact, error) {
	if q.Country != "" {
		if err := protocol.ValidateCountry(q.Country); err != nil {
			return nil, invalid("", "--country: %v", err)
		}
	}
	if q.Role != "" && !slices.Contains(protocol.ContactRoles(), q.Role) {
		return nil, invalid("a role is one of focal-point, central-authority, prosecutor, liaison-magistrate, secretariat", "unknown contact role %q", q.Role)
	}
	var all []*store.Contact
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		all, err = tx.Contacts()
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []*Contact
	for _, c := range all {
		if q.Country != "" && c.Card.Country != q.Country {
			continue
		}
		if q.Role != "" {
			card := *c.Card
			card.Contacts = slices.DeleteFunc(slices.Clone(card.Contacts), func(x protocol.Contact) bool { return x.Role != q.Role })
			if len(card.Contacts) == 0 {
				continue
			}
			c.Card = &card
		}
		out = append(out, contactOf(c))
	}
	return out, nil
}
