package agency

import (
	"context"
	"fmt"
	"time"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// Draft limits: a draft's data (a form's values, encoded by the console)
// and how many one account keeps.
const (
	MaxDraftSize     = 2 << 20
	MaxDraftsPerUser = 100
)

// Draft is a message being written in the console, kept until it is sent
// or discarded. Data is the console's encoding of the form's values.
type Draft struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	Updated time.Time `json:"updated"`
	Data    []byte    `json:"data"`
}

func draftView(d *store.Draft) *Draft {
	return &Draft{ID: d.ID, Kind: d.Kind, Updated: d.Updated, Data: d.Data}
}

// SaveDraft keeps a draft of account: a new one when d.ID is empty (its
// id is returned), else it replaces the draft with that id.
func (n *Node) SaveDraft(ctx context.Context, account string, d Draft) (string, error) {
	if len(d.Data) > MaxDraftSize {
		return "", invalid("shorten the message", "the draft is %d bytes, over the limit of %d", len(d.Data), MaxDraftSize)
	}
	now := n.o.Now().UTC()
	if d.ID == "" {
		d.ID = protocol.NewMessageID(now)
	} else if err := protocol.ValidateMessageID(d.ID); err != nil {
		return "", invalid("", "draft id: %v", err)
	}
	sd := &store.Draft{ID: d.ID, Account: account, Kind: d.Kind, Updated: now, Data: d.Data}
	err := n.store.Commit(func(tx *store.Tx) error {
		old, err := tx.Draft(account, d.ID)
		if err != nil {
			return err
		}
		if old == nil {
			all, err := tx.Drafts(account)
			if err != nil {
				return err
			}
			if len(all) >= MaxDraftsPerUser {
				return invalid("send or discard some drafts", "%s keeps %d drafts already, the most there may be", account, len(all))
			}
		}
		return tx.PutDraft(sd)
	})
	if err != nil {
		return "", fmt.Errorf("keep the draft: %w", err)
	}
	return sd.ID, nil
}

// Drafts returns account's drafts, oldest first.
func (n *Node) Drafts(ctx context.Context, account string) ([]*Draft, error) {
	var ds []*store.Draft
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		ds, err = tx.Drafts(account)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Draft, len(ds))
	for i, d := range ds {
		out[i] = draftView(d)
	}
	return out, nil
}

// Draft returns account's draft id.
func (n *Node) Draft(ctx context.Context, account, id string) (*Draft, error) {
	var d *store.Draft
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		d, err = tx.Draft(account, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, notFound("", "no draft %s", id)
	}
	return draftView(d), nil
}

// DeleteDraft discards account's draft id (sent, or given up).
func (n *Node) DeleteDraft(ctx context.Context, account, id string) error {
	return n.store.Commit(func(tx *store.Tx) error { return tx.DeleteDraft(account, id) })
}
