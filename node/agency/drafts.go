package agency

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// Draft limits: a draft's data (a form's values, encoded by the console)
// and how many one account keeps.
const (
	MaxDraftSize     = 2 << 20
	MaxDraftsPerUser = 100
)

// SaveDraft keeps a draft of account: a new one when d.ID is empty (its
// id is returned), else it replaces the draft with that id.
func (n *Node) SaveDraft(ctx context.Context, account string, d store.Draft) (string, error) {
	if len(d.Data) > MaxDraftSize {
		return "", invalid("shorten the message", "the draft is %d bytes, over the limit of %d", len(d.Data), MaxDraftSize)
	}
	now := n.o.Now().UTC()
	if d.ID == "" {
		d.ID = protocol.NewMessageID(now)
	} else if err := protocol.ValidateMessageID(d.ID); err != nil {
		return "", invalid("", "draft id: %v", err)
	}
	d.Account, d.Updated = account, now
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
		return tx.PutDraft(&d)
	})
	if err != nil {
		return "", fmt.Errorf("keep the draft: %w", err)
	}
	return d.ID, nil
}

// Drafts returns account's drafts, oldest first.
func (n *Node) Drafts(ctx context.Context, account string) ([]*store.Draft, error) {
	var out []*store.Draft
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		out, err = tx.Drafts(account)
		return err
	})
	return out, err
}

// Draft returns account's draft id.
func (n *Node) Draft(ctx context.Context, account, id string) (*store.Draft, error) {
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
	return d, nil
}

// DeleteDraft discards account's draft id (sent, or given up).
func (n *Node) DeleteDraft(ctx context.Context, account, id string) error {
	return n.store.Commit(func(tx *store.Tx) error { return tx.DeleteDraft(account, id) })
}
