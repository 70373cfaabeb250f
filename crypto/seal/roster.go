package seal

import (
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/casenode/casenode/protocol"
)

var _ Keys = (*RosterKeys)(nil)

// RosterKeys are the keys a network roster trusts at one time. A node
// opens each received message with RosterKeys{Roster: the roster in force,
// At: the later of the message's creation time and the time the hub stored
// it}; an auditor does the same with the roster in force when the message
// was received. Rejections carry the roster's reason: unknown-sender,
// unknown-key or revoked.
type RosterKeys struct {
	Roster *protocol.Roster
	// At is the time messages are judged at; zero means time.Now().
	At time.Time
}

func (k *RosterKeys) at() time.Time {
	if k.At.IsZero() {
		return time.Now()
	}
	return k.At
}

// Card implements Keys: the card of a member in good standing at At.
// Sealing to a revoked or suspended member is refused this way.
func (k *RosterKeys) Card(agency string) (*protocol.MemberCard, error) {
	m, err := k.Roster.InGoodStanding(agency, k.at())
	if err != nil {
		return nil, rosterRejection(err)
	}
	return &m.Card, nil
}

// SigningKey implements Keys with protocol.Roster.SigningKeyAt: the card's
// key, or a previous key still valid at At.
func (k *RosterKeys) SigningKey(agency, kid string) (ed25519.PublicKey, error) {
	pub, err := k.Roster.SigningKeyAt(agency, kid, k.at())
	if err != nil {
		return nil, rosterRejection(err)
	}
	return pub, nil
}

// rosterRejection turns a roster's refusal into a rejection with its reason.
func rosterRejection(err error) error {
	var ke *protocol.KeyError
	if errors.As(err, &ke) {
		return &Error{Reason: ke.Reason, Err: err}
	}
	return &Error{Reason: protocol.ReasonUnknownSender, Err: err}
}
