package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/casenode/casenode/protocol"
)

// InboxEntry is a message the node verified, decrypted and accepted.
type InboxEntry struct {
	// Seq orders the inbox by arrival, from 1.
	Seq uint64 `json:"seq"`
	// Header is the message's verified clear header.
	Header *protocol.Header `json:"header"`
	// Body is the verified body, compact JSON.
	Body json.RawMessage `json:"body"`
	// Hash is the lowercase hex SHA-256 of the exact sealed bytes: the
	// message_hash of its receipts.
	Hash string `json:"hash"`
	// Size is the sealed message's size in bytes.
	Size int `json:"size"`
	// Received is when the node accepted it.
	Received time.Time `json:"received"`
	// ReadAt is when someone first opened it, and ReadBy who.
	ReadAt *time.Time `json:"read_at,omitempty"`
	ReadBy string     `json:"read_by,omitempty"`
	// ReceiptID and Receipt are the delivered receipt the node signed when
	// it accepted the message: what it sends again, unchanged and not
	// recorded again, when the message is delivered again.
	ReceiptID string `json:"receipt_id,omitempty"`
	Receipt   []byte `json:"receipt,omitempty"`
}

// Inbox returns the entry of message id, or nil.
func (t *Tx) Inbox(id string) (*InboxEntry, error) {
	v := t.bucket(bucketInbox).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var e InboxEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return nil, fmt.Errorf("inbox entry %s: %w", id, err)
	}
	return &e, nil
}

// AddInbox adds a new message to the inbox, assigning its Seq, and to its
// case thread. The message must not be in the inbox yet.
func (t *Tx) AddInbox(e *InboxEntry) error {
	id := e.Header.ID
	if t.bucket(bucketInbox).Get([]byte(id)) != nil {
		return fmt.Errorf("add to inbox: message %s is already there", id)
	}
	seq, err := t.bucket(bucketInSeq).NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	if err := t.putInbox(e); err != nil {
		return err
	}
	if err := t.bucket(bucketInSeq).Put(seqKey(seq), []byte(id)); err != nil {
		return err
	}
	if err := t.add(countInbox, 1); err != nil {
		return err
	}
	if err := t.add(countUnread, 1); err != nil {
		return err
	}
	if e.Header.Case != "" {
		return t.addThread(e.Header, DirectionIn)
	}
	return nil
}

func (t *Tx) putInbox(e *InboxEntry) error {
	v, err := marshalBody(e, &e.Body)
	if err != nil {
		return err
	}
	return t.bucket(bucketInbox).Put([]byte(e.Header.ID), v)
}

// SetInboxReceipt records the delivered receipt of message id, signed
// once its attachments were all here.
func (t *Tx) SetInboxReceipt(id, receiptID string, receipt []byte) error {
	e, err := t.Inbox(id)
	if err != nil || e == nil {
		return err
	}
	e.ReceiptID, e.Receipt = receiptID, receipt
	return t.putInbox(e)
}

// MarkRead records that by opened message id at time at. It reports
// whether this was the first time; an entry already read is left alone.
func (t *Tx) MarkRead(id, by string, at time.Time) (first bool, err error) {
	e, err := t.Inbox(id)
	if err != nil || e == nil {
		return false, err
	}
	if e.ReadAt != nil {
		return false, nil
	}
	e.ReadAt, e.ReadBy = &at, by
	if err := t.putInbox(e); err != nil {
		return false, err
	}
	return true, t.add(countUnread, -1)
}

// InboxFilter selects inbox entries. Zero fields select everything.
type InboxFilter struct {
	Type   protocol.MessageType
	Case   string
	From   string
	Unread bool
	// After skips the entries with Seq up to After.
	After uint64
	// Limit bounds the entries returned; zero means no bound.
	Limit int
}

func (f *InboxFilter) match(e *InboxEntry) bool {
	h := e.Header
	return (f.Type == "" || h.MsgType == f.Type) && (f.Case == "" || protocol.CaseKey(h.Case) == protocol.CaseKey(f.Case)) &&
		(f.From == "" || h.From == f.From) && (!f.Unread || e.ReadAt == nil)
}

// ListInbox returns the entries f selects, in arrival order.
func (t *Tx) ListInbox(f InboxFilter) ([]*InboxEntry, error) {
	return listSeq(t, bucketInSeq, f.After, f.Limit, t.Inbox, f.match)
}

// listSeq returns the entries get finds by the ids of the sequence index
// bucket index, in its order from sequence after+1 on, that keep selects:
// at most limit of them, all for 0.
func listSeq[E any](t *Tx, index []byte, after uint64, limit int, get func(id string) (*E, error), keep func(*E) bool) ([]*E, error) {
	var out []*E
	c := t.bucket(index).Cursor()
	for k, id := c.Seek(seqKey(after + 1)); k != nil; k, id = c.Next() {
		e, err := get(string(id))
		if err != nil {
			return nil, err
		}
		if e == nil || !keep(e) {
			continue
		}
		out = append(out, e)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}
