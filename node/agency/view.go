package agency

import (
	"time"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// The types in this file are what the node's methods return about the
// outbox, the case threads and the contacts, and what the local API
// encodes (docs/openapi.yaml). They mirror records of node/store but are
// not them: the store's file format can change without changing the API.

// CopyState is where one recipient's copy of a sent message stands.
type CopyState string

// The copy states, in the order a copy goes through them.
const (
	// CopyQueued: recorded and waiting for the hub's acknowledgement.
	CopyQueued CopyState = "queued"
	// CopyRelayed: the hub acknowledged it; it waits for the recipient.
	CopyRelayed CopyState = "relayed"
	// CopyDelivered: the recipient's signed delivered receipt came back.
	CopyDelivered CopyState = "delivered"
	// CopyRead: the recipient's signed read receipt came back.
	CopyRead CopyState = "read"
	// CopyRejected: the recipient's node refused it; Reason says why.
	CopyRejected CopyState = "rejected"
	// CopyCancelled: someone at the agency withdrew the message before it
	// was published ('casenode outbox cancel'): it is never published,
	// and stays in the outbox marked so.
	CopyCancelled CopyState = "cancelled"
)

// CopyStates returns every copy state, in order.
func CopyStates() []CopyState {
	return []CopyState{CopyQueued, CopyRelayed, CopyDelivered, CopyRead, CopyRejected, CopyCancelled}
}

// Copy is one recipient's copy of a sent message.
type Copy struct {
	State CopyState `json:"state"`
	// Reason is the recipient's reason when State is rejected.
	Reason protocol.Reason `json:"reason,omitempty"`
	// Attempts counts the publications of the copy.
	Attempts    int        `json:"attempts"`
	LastAttempt *time.Time `json:"last_attempt,omitempty"`
	Relayed     *time.Time `json:"relayed,omitempty"`
	Delivered   *time.Time `json:"delivered,omitempty"`
	Read        *time.Time `json:"read,omitempty"`
	Rejected    *time.Time `json:"rejected,omitempty"`
	Cancelled   *time.Time `json:"cancelled,omitempty"`
}

// copiesOf returns the copies of an outbox entry; nil for none.
func copiesOf(cs map[string]*store.Copy) map[string]*Copy {
	if cs == nil {
		return nil
	}
	out := make(map[string]*Copy, len(cs))
	for to, c := range cs {
		if c == nil {
			out[to] = nil
			continue
		}
		out[to] = &Copy{State: CopyState(c.State), Reason: c.Reason, Attempts: c.Attempts, LastAttempt: c.LastAttempt,
			Relayed: c.Relayed, Delivered: c.Delivered, Read: c.Read, Rejected: c.Rejected, Cancelled: c.Cancelled}
	}
	return out
}

// copyCounts returns the store's counts of copies by state.
func copyCounts(cs map[store.CopyState]int64) map[CopyState]int64 {
	if cs == nil {
		return nil
	}
	out := make(map[CopyState]int64, len(cs))
	for s, n := range cs {
		out[CopyState(s)] = n
	}
	return out
}

// Direction says whether a message was received ("in") or sent ("out").
type Direction string

// The directions.
const (
	DirectionIn  Direction = "in"
	DirectionOut Direction = "out"
)

// CaseSummary sums a case thread up.
type CaseSummary struct {
	Case     string `json:"case"`
	Messages int    `json:"messages"`
	// Received and Sent split Messages by direction.
	Received int `json:"received"`
	Sent     int `json:"sent"`
	// First and Last are the creation times of its oldest and newest
	// messages.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// LastType is the type of its newest message.
	LastType protocol.MessageType `json:"last_type"`
	// Agencies are the agencies in the thread, this one included, sorted.
	Agencies []string `json:"agencies"`
}

func caseSummaryOf(s *store.CaseSummary) *CaseSummary {
	return &CaseSummary{Case: s.Case, Messages: s.Messages, Received: s.Received, Sent: s.Sent, First: s.First, Last: s.Last,
		LastType: s.LastType, Agencies: s.Agencies}
}

// Contact is the contact card held for an agency.
type Contact struct {
	Card *protocol.ContactCard `json:"card"`
	// MessageID is the message that carried it (empty for the agency's own
	// card before it was sent); Received is when the node stored it.
	MessageID string    `json:"message_id,omitempty"`
	Received  time.Time `json:"received"`
}

func contactOf(c *store.Contact) *Contact {
	return &Contact{Card: c.Card, MessageID: c.MessageID, Received: c.Received}
}
