package agency

import (
	"context"
	"time"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// OutboxQuery selects sent messages. Zero fields select everything.
type OutboxQuery struct {
	// Pending selects the messages with a copy still waiting for its
	// recipient's receipt.
	Pending bool                 `json:"pending,omitempty"`
	Type    protocol.MessageType `json:"type,omitempty"`
	Case    string               `json:"case,omitempty"`
	To      string               `json:"to,omitempty"`
	After   uint64               `json:"after,omitempty"`
	Limit   int                  `json:"limit,omitempty"`
}

// OutboxItem is a sent message with the state of each copy.
type OutboxItem struct {
	ID      string               `json:"id"`
	Seq     uint64               `json:"seq"`
	Type    protocol.MessageType `json:"type"`
	To      []string             `json:"to"`
	Case    string               `json:"case,omitempty"`
	Created time.Time            `json:"created"`
	SentBy  string               `json:"sent_by"`
	Summary string               `json:"summary"`
	// Copies holds each recipient's copy: queued, relayed, delivered, read,
	// rejected (with the recipient's reason) or cancelled (CancelOutbox).
	Copies map[string]*Copy `json:"copies"`
	// Pending says that a copy still waits for its recipient.
	Pending bool `json:"pending"`
	// Attachments are the files sent with it: until they are all at the
	// hub (their Done reaches CipherSize), the message is held.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Outbox lists the sent messages q selects, in sending order.
func (n *Node) Outbox(ctx context.Context, q OutboxQuery) ([]*OutboxItem, error) {
	var es []*store.OutboxEntry
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		es, err = tx.ListOutbox(store.OutboxFilter{Pending: q.Pending, Type: q.Type, Case: q.Case, To: q.To, After: q.After, Limit: q.Limit})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*OutboxItem, len(es))
	for i, e := range es {
		out[i] = outboxItem(e)
		if j, err := n.attachJob(e.Header.ID); err == nil {
			out[i].Attachments = n.attachments(j)
		}
	}
	return out, nil
}

func outboxItem(e *store.OutboxEntry) *OutboxItem {
	h := e.Header
	return &OutboxItem{ID: h.ID, Seq: e.Seq, Type: h.MsgType, To: h.To, Case: h.Case, Created: h.Created.Time,
		SentBy: e.Actor, Summary: summaryOf(h.MsgType, e.Body), Copies: copiesOf(e.Copies), Pending: e.Pending()}
}
