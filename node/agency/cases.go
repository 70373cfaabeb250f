package agency

import (
	"context"
	"time"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// Cases returns a summary of every case thread: the leads, requests,
// replies and status changes, sent and received, that share a case id.
func (n *Node) Cases(ctx context.Context) ([]*CaseSummary, error) {
	var cs []*store.CaseSummary
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		cs, err = tx.Cases()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*CaseSummary, len(cs))
	for i, s := range cs {
		out[i] = caseSummaryOf(s)
	}
	return out, nil
}

// Thread is one case: its summary and its messages, oldest first.
type Thread struct {
	*CaseSummary
	Items []*ThreadMessage `json:"items"`
}

// ThreadMessage is one message of a thread. Like the inbox, a thread
// names its messages without opening them: Show opens one.
type ThreadMessage struct {
	ID        string               `json:"id"`
	Direction Direction            `json:"direction"`
	Type      protocol.MessageType `json:"type"`
	From      string               `json:"from"`
	To        []string             `json:"to"`
	Created   time.Time            `json:"created"`
	Summary   string               `json:"summary"`
	// Read is set for a received message.
	Read *bool `json:"read,omitempty"`
	// Copies is set for a sent message.
	Copies map[string]*Copy `json:"copies,omitempty"`
}

// Case returns the thread of case id.
func (n *Node) Case(ctx context.Context, id string) (*Thread, error) {
	if err := protocol.ValidateCaseID(id); err != nil {
		return nil, invalid("a case id is "+protocol.CaseIDRule, "%v", err)
	}
	var t *Thread
	err := n.store.View(func(tx *store.Tx) error {
		s, err := tx.Case(id)
		if err != nil || s == nil {
			return err
		}
		items, err := tx.Thread(id)
		if err != nil {
			return err
		}
		t = &Thread{CaseSummary: caseSummaryOf(s)}
		for _, it := range items {
			m := &ThreadMessage{ID: it.ID, Direction: Direction(it.Direction), Type: it.Type, From: it.From, To: it.To, Created: it.Created}
			if it.Direction == store.DirectionIn {
				e, err := tx.Inbox(it.ID)
				if err != nil {
					return err
				}
				if e != nil {
					read := e.ReadAt != nil
					m.Read, m.Summary = &read, summaryOf(it.Type, e.Body)
				}
			} else {
				e, err := tx.Outbox(it.ID)
				if err != nil {
					return err
				}
				if e != nil {
					m.Copies, m.Summary = copiesOf(e.Copies), summaryOf(it.Type, e.Body)
				}
			}
			t.Items = append(t.Items, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, notFound("'casenode cases' lists the cases", "no case %q", id)
	}
	return t, nil
}
