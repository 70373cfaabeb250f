package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// bucketDrafts holds the console's drafts: account 0x00 draft id → Draft.
// It is created on the first write.
var bucketDrafts = []byte("drafts")

// Draft is a message being written in the console, kept until it is sent
// or discarded. Data is the console's encoding of the form's values.
type Draft struct {
	ID      string    `json:"id"`
	Account string    `json:"account"`
	Kind    string    `json:"kind"`
	Updated time.Time `json:"updated"`
	Data    []byte    `json:"data"`
}

func draftKey(account, id string) []byte {
	return append(append([]byte(account), 0), id...)
}

// PutDraft stores d, replacing the draft of the same account and id.
func (t *Tx) PutDraft(d *Draft) error {
	b, err := t.createBucket(bucketDrafts)
	if err != nil {
		return err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return b.Put(draftKey(d.Account, d.ID), v)
}

// Draft returns account's draft id, or nil.
func (t *Tx) Draft(account, id string) (*Draft, error) {
	b := t.bucket(bucketDrafts)
	if b == nil {
		return nil, nil
	}
	v := b.Get(draftKey(account, id))
	if v == nil {
		return nil, nil
	}
	var d Draft
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("draft %s: %w", id, err)
	}
	return &d, nil
}

// Drafts returns account's drafts, in id order.
func (t *Tx) Drafts(account string) ([]*Draft, error) {
	b := t.bucket(bucketDrafts)
	if b == nil {
		return nil, nil
	}
	prefix := draftKey(account, "")
	var out []*Draft
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var d Draft
		if err := json.Unmarshal(v, &d); err != nil {
			return nil, fmt.Errorf("draft %s: %w", k[len(prefix):], err)
		}
		out = append(out, &d)
	}
	return out, nil
}

// DeleteDraft removes account's draft id, if there is one.
func (t *Tx) DeleteDraft(account, id string) error {
	b := t.bucket(bucketDrafts)
	if b == nil {
		return nil
	}
	return b.Delete(draftKey(account, id))
}
