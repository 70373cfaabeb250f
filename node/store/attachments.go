package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/casenode/casenode/protocol"
)

// AttachJob is the attachments of one message still to be moved: to the
// hub for a message sent (which is held back until they are all there),
// from the hub for a message received (whose delivered receipt waits for
// them).
type AttachJob struct {
	Direction Direction `json:"direction"`
	MessageID string    `json:"message_id"`
	// From is the message's sender; To its recipients.
	From  string       `json:"from"`
	To    []string     `json:"to"`
	Items []AttachItem `json:"items"`
	// Cancelled is when the message sent was withdrawn from the outbox
	// before it was published: its items are cancelled, and each one's
	// object is deleted at the hub.
	Cancelled *time.Time `json:"cancelled,omitempty"`
}

// Attachment states.
const (
	AttachPending = "pending" // to move
	AttachWaiting = "waiting" // received, over the automatic size: moved on demand
	AttachDone    = "done"    // at the hub (sent) or checked and stored here (received)
	AttachRefused = "refused" // refused (received: did not match its manifest; sent: by the hub); tried again later
	// AttachCancelled: its message was withdrawn before it was published;
	// its object is deleted at the hub (Deleted says when the hub did).
	AttachCancelled = "cancelled"
)

// AttachItem is one attachment of a job.
type AttachItem struct {
	protocol.Attachment
	State string `json:"state"`
	// Error says why the last attempt failed; Attempts counts them.
	Error    string     `json:"error,omitempty"`
	Attempts int        `json:"attempts,omitempty"`
	Tried    *time.Time `json:"tried,omitempty"`
	// Of the transfer that completed it: the ciphertext bytes the other
	// side (or this node's partial file) already had when it began, the
	// bytes it moved, and of those the ones moved again after a failed
	// attempt.
	Resumed int64      `json:"resumed,omitempty"`
	Moved   int64      `json:"moved,omitempty"`
	Again   int64      `json:"again,omitempty"`
	DoneAt  *time.Time `json:"done_at,omitempty"`
	// Deleted is when the hub deleted the object of a cancelled item, or
	// said it no longer had it.
	Deleted *time.Time `json:"deleted,omitempty"`
}

// Complete reports whether every item is done.
func (j *AttachJob) Complete() bool {
	for _, it := range j.Items {
		if it.State != AttachDone {
			return false
		}
	}
	return true
}

func attachKey(dir Direction, id string) []byte { return []byte(string(dir) + "/" + id) }

// PutAttachJob writes j.
func (t *Tx) PutAttachJob(j *AttachJob) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return t.bucket(bucketAttach).Put(attachKey(j.Direction, j.MessageID), b)
}

// AttachJob returns the job of message id in direction dir, or nil.
func (t *Tx) AttachJob(dir Direction, id string) (*AttachJob, error) {
	v := t.bucket(bucketAttach).Get(attachKey(dir, id))
	if v == nil {
		return nil, nil
	}
	var j AttachJob
	if err := json.Unmarshal(v, &j); err != nil {
		return nil, fmt.Errorf("attachments of %s: %w", id, err)
	}
	return &j, nil
}

// AttachJobs returns every job of direction dir, in message id order.
func (t *Tx) AttachJobs(dir Direction) ([]*AttachJob, error) {
	var out []*AttachJob
	c := t.bucket(bucketAttach).Cursor()
	prefix := []byte(string(dir) + "/")
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var j AttachJob
		if err := json.Unmarshal(v, &j); err != nil {
			return nil, fmt.Errorf("attachments of %s: %w", k, err)
		}
		out = append(out, &j)
	}
	return out, nil
}
