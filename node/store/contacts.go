package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/casenode/casenode/protocol"
)

// Contact is the newest contact card the node holds for one agency.
type Contact struct {
	Card *protocol.ContactCard `json:"card"`
	// MessageID is the message that carried it (empty for the agency's own
	// card before it was sent); Received is when the node stored it.
	MessageID string    `json:"message_id,omitempty"`
	Received  time.Time `json:"received"`
}

// Contact returns the card held for agency, or nil.
func (t *Tx) Contact(agency string) (*Contact, error) {
	v := t.bucket(bucketContacts).Get([]byte(agency))
	if v == nil {
		return nil, nil
	}
	var c Contact
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("contact card of %s: %w", agency, err)
	}
	return &c, nil
}

// OfferContact stores c unless the card held for its agency is as new or
// newer (protocol.ContactCard.Supersedes). It reports whether c was stored.
func (t *Tx) OfferContact(c *Contact) (bool, error) {
	old, err := t.Contact(c.Card.Agency)
	if err != nil {
		return false, err
	}
	if old != nil && !c.Card.Supersedes(old.Card) {
		return false, nil
	}
	v, err := json.Marshal(c)
	if err != nil {
		return false, err
	}
	return true, t.bucket(bucketContacts).Put([]byte(c.Card.Agency), v)
}

// Contacts returns every card held, in agency order.
func (t *Tx) Contacts() ([]*Contact, error) {
	var out []*Contact
	err := t.bucket(bucketContacts).ForEach(func(k, v []byte) error {
		var c Contact
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("contact card of %s: %w", k, err)
		}
		out = append(out, &c)
		return nil
	})
	return out, err
}
