package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/casenode/casenode/protocol"
)

// CopyState is where one copy of a sent message stands: the message as sent
// to one recipient.
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
	// was published (it was held in the outbox): it is never published.
	CopyCancelled CopyState = "cancelled"
)

// CopyStates returns every copy state.
func CopyStates() []CopyState {
	return []CopyState{CopyQueued, CopyRelayed, CopyDelivered, CopyRead, CopyRejected, CopyCancelled}
}

// rank orders the states: a copy only ever moves to a higher rank.
func (s CopyState) rank() int {
	switch s {
	case CopyQueued:
		return 0
	case CopyRelayed:
		return 1
	case CopyDelivered, CopyRejected, CopyCancelled:
		return 2
	case CopyRead:
		return 3
	}
	return -1
}

// Final reports whether the copy needs nothing more from this node: the
// recipient's node answered.
func (s CopyState) Final() bool { return s.rank() >= 2 }

// Copy is the state of a message's copy for one recipient.
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

// Advance moves the copy to state s at time at, unless it is already there
// or further. It reports whether the copy changed.
func (c *Copy) Advance(s CopyState, reason protocol.Reason, at time.Time) bool {
	if s.rank() <= c.State.rank() {
		return false
	}
	switch s {
	case CopyRelayed:
		c.Relayed = &at
	case CopyDelivered:
		c.Delivered = &at
	case CopyRead:
		c.Read = &at
		if c.Delivered == nil {
			c.Delivered = &at
		}
	case CopyRejected:
		c.Rejected = &at
		c.Reason = reason
	case CopyCancelled:
		if c.State != CopyQueued {
			// Only a copy never published can be withdrawn.
			return false
		}
		c.Cancelled = &at
		c.State = s
		return true
	}
	if c.Relayed == nil {
		c.Relayed = &at
	}
	c.State = s
	return true
}

// OutboxEntry is a message the node sent.
type OutboxEntry struct {
	// Seq orders the outbox by sending, from 1.
	Seq    uint64           `json:"seq"`
	Header *protocol.Header `json:"header"`
	// Body is the body sent, compact JSON.
	Body json.RawMessage `json:"body"`
	// Hash is the lowercase hex SHA-256 of the sealed bytes.
	Hash string `json:"hash"`
	Size int    `json:"size"`
	// Sent is when the node recorded it; Actor is who sent it.
	Sent  time.Time `json:"sent"`
	Actor string    `json:"actor"`
	// SentRecord is the sequence number of the message's sent record in
	// the audit log of the node's file, whose payload is the sealed
	// message (auditlog.SentPayload): the store does not keep a second
	// copy. Nil for an entry whose sealed bytes the store keeps itself
	// (OutboxRaw): one written before format casenode-store-3, or kept so
	// when the audit log was started over.
	SentRecord *int64 `json:"sent_record,omitempty"`
	// Copies holds the state of each recipient's copy. The store keeps
	// them apart from the entry (see copyStates), so that a copy's change
	// does not rewrite the entry and its body.
	Copies map[string]*Copy `json:"copies,omitempty"`
}

// copyStates is how the store keeps an entry's copies: apart from the
// entry, with the entry's Seq for the pending index. Entries written
// before the copies were kept apart hold them inline; the first change
// moves them here.
type copyStates struct {
	Seq    uint64           `json:"seq"`
	Copies map[string]*Copy `json:"copies"`
}

// Recipients returns the recipients in order.
func (e *OutboxEntry) Recipients() []string {
	out := make([]string, 0, len(e.Copies))
	for a := range e.Copies {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Pending reports whether a copy still waits for its recipient.
func (e *OutboxEntry) Pending() bool {
	for _, c := range e.Copies {
		if !c.State.Final() {
			return true
		}
	}
	return false
}

// AddOutbox records a new sent message, assigning its Seq, with every copy
// queued, and adds it to its case thread. The store keeps raw, its sealed
// bytes, unless e.SentRecord names the audit record that holds them; raw
// is then nil.
func (t *Tx) AddOutbox(e *OutboxEntry, raw []byte) error {
	if (e.SentRecord == nil) == (raw == nil) {
		return fmt.Errorf("add to outbox: message %s: its sealed bytes, or the record that holds them, and not both", e.Header.ID)
	}
	id := []byte(e.Header.ID)
	if t.bucket(bucketOutbox).Get(id) != nil {
		return fmt.Errorf("add to outbox: message %s is already there", e.Header.ID)
	}
	seq, err := t.bucket(bucketOutSeq).NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	if e.Copies == nil {
		e.Copies = map[string]*Copy{}
	}
	for _, a := range e.Header.To {
		if e.Copies[a] == nil {
			e.Copies[a] = &Copy{State: CopyQueued}
		}
	}
	for _, c := range e.Copies {
		if err := t.add(countCopies+string(c.State), 1); err != nil {
			return err
		}
	}
	if err := t.putOutbox(e); err != nil {
		return err
	}
	if raw != nil {
		if err := t.bucket(bucketOutRaw).Put(id, raw); err != nil {
			return err
		}
	}
	if err := t.bucket(bucketOutSeq).Put(seqKey(seq), id); err != nil {
		return err
	}
	if e.Pending() {
		if err := t.bucket(bucketOutWait).Put(seqKey(seq), id); err != nil {
			return err
		}
	}
	if err := t.add(countOutbox, 1); err != nil {
		return err
	}
	if e.Header.Case != "" {
		return t.addThread(e.Header, DirectionOut)
	}
	return nil
}

// putOutbox writes a new entry: the entry without its copies, and the
// copies apart.
func (t *Tx) putOutbox(e *OutboxEntry) error {
	copies := e.Copies
	e.Copies = nil
	v, err := marshalBody(e, &e.Body)
	e.Copies = copies
	if err != nil {
		return err
	}
	if err := t.bucket(bucketOutbox).Put([]byte(e.Header.ID), v); err != nil {
		return err
	}
	return t.putCopies(e.Header.ID, &copyStates{Seq: e.Seq, Copies: copies})
}

func (t *Tx) putCopies(id string, cs *copyStates) error {
	v, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	return t.bucket(bucketOutCopy).Put([]byte(id), v)
}

// storedCopies returns the copies of message id kept apart, or nil for an
// entry that holds them inline or no entry at all.
func (t *Tx) storedCopies(id string) (*copyStates, error) {
	v := t.bucket(bucketOutCopy).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var cs copyStates
	if err := json.Unmarshal(v, &cs); err != nil {
		return nil, fmt.Errorf("outbox copies of %s: %w", id, err)
	}
	return &cs, nil
}

// copies returns the copies of message id, or nil if the outbox has no
// such message.
func (t *Tx) copies(id string) (*copyStates, error) {
	if cs, err := t.storedCopies(id); cs != nil || err != nil {
		return cs, err
	}
	e, err := t.Outbox(id)
	if err != nil || e == nil {
		return nil, err
	}
	return &copyStates{Seq: e.Seq, Copies: e.Copies}, nil
}

// Outbox returns the entry of message id, or nil.
func (t *Tx) Outbox(id string) (*OutboxEntry, error) {
	v := t.bucket(bucketOutbox).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var e OutboxEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return nil, fmt.Errorf("outbox entry %s: %w", id, err)
	}
	cs, err := t.storedCopies(id)
	if err != nil {
		return nil, err
	}
	if cs != nil {
		e.Copies = cs.Copies
	}
	return &e, nil
}

// OutboxRaw returns the sealed bytes of sent message id that the store
// keeps, or nil (for an entry with a SentRecord, the audit log has them).
func (t *Tx) OutboxRaw(id string) []byte { return clone(t.bucket(bucketOutRaw).Get([]byte(id))) }

// KeepOutboxRaw makes the store keep raw, the sealed bytes of sent message
// id, and forget the entry's SentRecord: for an audit log started over,
// whose numbers name other records.
func (t *Tx) KeepOutboxRaw(id string, raw []byte) error {
	v := t.bucket(bucketOutbox).Get([]byte(id))
	if v == nil {
		return fmt.Errorf("outbox: no message %s", id)
	}
	var e OutboxEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return fmt.Errorf("outbox entry %s: %w", id, err)
	}
	if err := t.bucket(bucketOutRaw).Put([]byte(id), raw); err != nil {
		return err
	}
	e.SentRecord = nil
	v, err := json.Marshal(&e)
	if err != nil {
		return err
	}
	return t.bucket(bucketOutbox).Put([]byte(id), v)
}

// UpdateCopy applies fn to the copy of message id for recipient and stores
// the result if fn reports a change. It returns the copy after the change,
// or nil if the outbox has no such copy. Only the copies are rewritten,
// never the entry.
func (t *Tx) UpdateCopy(id, recipient string, fn func(c *Copy) bool) (*Copy, error) {
	cs, err := t.copies(id)
	if err != nil || cs == nil {
		return nil, err
	}
	c := cs.Copies[recipient]
	if c == nil {
		return nil, nil
	}
	before := c.State
	if !fn(c) {
		return c, nil
	}
	if c.State != before {
		if err := t.add(countCopies+string(before), -1); err != nil {
			return nil, err
		}
		if err := t.add(countCopies+string(c.State), 1); err != nil {
			return nil, err
		}
	}
	if !(&OutboxEntry{Copies: cs.Copies}).Pending() {
		if err := t.bucket(bucketOutWait).Delete(seqKey(cs.Seq)); err != nil {
			return nil, err
		}
	}
	return c, t.putCopies(id, cs)
}

// OutboxFilter selects outbox entries. Zero fields select everything.
type OutboxFilter struct {
	// Pending selects the entries with a copy that still waits.
	Pending bool
	Type    protocol.MessageType
	Case    string
	To      string
	After   uint64
	Limit   int
}

func (f *OutboxFilter) match(e *OutboxEntry) bool {
	h := e.Header
	return (!f.Pending || e.Pending()) && (f.Type == "" || h.MsgType == f.Type) &&
		(f.Case == "" || protocol.CaseKey(h.Case) == protocol.CaseKey(f.Case)) && (f.To == "" || e.Copies[f.To] != nil)
}

// ListOutbox returns the entries f selects, in sending order.
func (t *Tx) ListOutbox(f OutboxFilter) ([]*OutboxEntry, error) {
	index := bucketOutSeq
	if f.Pending {
		index = bucketOutWait
	}
	return listSeq(t, index, f.After, f.Limit, t.Outbox, f.match)
}
