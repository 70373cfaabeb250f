package agency

import (
	"context"
	"time"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// InboxQuery selects inbox messages. Zero fields select everything.
type InboxQuery struct {
	Type   protocol.MessageType `json:"type,omitempty"`
	Case   string               `json:"case,omitempty"`
	From   string               `json:"from,omitempty"`
	Unread bool                 `json:"unread,omitempty"`
	// After skips the messages up to this inbox position.
	After uint64 `json:"after,omitempty"`
	// Limit bounds the messages returned; zero means no bound.
	Limit int `json:"limit,omitempty"`
}

// MessageSummary is a message as the inbox lists it.
type MessageSummary struct {
	ID string `json:"id"`
	// Seq is the message's position in the inbox (arrival order) or the
	// outbox (sending order).
	Seq      uint64               `json:"seq"`
	Type     protocol.MessageType `json:"type"`
	From     string               `json:"from"`
	To       []string             `json:"to"`
	Case     string               `json:"case,omitempty"`
	Created  time.Time            `json:"created"`
	Received time.Time            `json:"received"`
	Read     bool                 `json:"read"`
	// Summary names the message in one line (a lead's title…).
	Summary string `json:"summary"`
}

// Inbox lists the received messages q selects, in arrival order. Listing
// does not open them: it shows no body and records no access.
func (n *Node) Inbox(ctx context.Context, q InboxQuery) ([]*MessageSummary, error) {
	var es []*store.InboxEntry
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		es, err = tx.ListInbox(store.InboxFilter{Type: q.Type, Case: q.Case, From: q.From, Unread: q.Unread, After: q.After, Limit: q.Limit})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*MessageSummary, len(es))
	for i, e := range es {
		h := e.Header
		out[i] = &MessageSummary{ID: h.ID, Seq: e.Seq, Type: h.MsgType, From: h.From, To: h.To, Case: h.Case,
			Created: h.Created.Time, Received: e.Received, Read: e.ReadAt != nil, Summary: summaryOf(h.MsgType, e.Body)}
	}
	return out, nil
}
