package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// formatID names the store's layout; Open refuses any other.
const formatID = "casenode-store-1"

// Keys of the meta bucket.
const (
	metaFormat   = "format"
	metaRoster   = "roster"          // the signed roster in force
	metaConfig   = "config"          // the configuration last recorded in the audit log
	metaSentMark = "audit-sent-mark" // see SentMark
)

func checkFormat(tx *Tx) error {
	m := tx.bucket(bucketMeta)
	switch f := m.Get([]byte(metaFormat)); {
	case f == nil:
		return m.Put([]byte(metaFormat), []byte(formatID))
	case string(f) != formatID:
		return fmt.Errorf("not a casenode node store: format %q, want %q", f, formatID)
	}
	return nil
}

// Roster returns the signed roster in force, or nil before the first.
func (t *Tx) Roster() []byte { return clone(t.bucket(bucketMeta).Get([]byte(metaRoster))) }

// SetRoster stores the signed roster in force.
func (t *Tx) SetRoster(jws []byte) error {
	return t.bucket(bucketMeta).Put([]byte(metaRoster), jws)
}

// SentMark returns the audit log index from which the last commit of sent
// messages may have left sent records without their outbox entries (a
// crash between the two commits of a node of the earlier layout, whose
// store had a file of its own), and whether it is set.
func (t *Tx) SentMark() (int64, bool) {
	v := t.bucket(bucketMeta).Get([]byte(metaSentMark))
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}

// SetSentMark sets the mark SentMark returns.
func (t *Tx) SetSentMark(index int64) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(index))
	return t.bucket(bucketMeta).Put([]byte(metaSentMark), b[:])
}

// ClearSentMark deletes the mark SentMark returns: a node's one file
// commits a send whole, and needs none.
func (t *Tx) ClearSentMark() error {
	return t.bucket(bucketMeta).Delete([]byte(metaSentMark))
}

// Config returns the configuration last recorded, or nil.
func (t *Tx) Config() []byte { return clone(t.bucket(bucketMeta).Get([]byte(metaConfig))) }

// SetConfig stores the configuration last recorded.
func (t *Tx) SetConfig(cfg []byte) error {
	return t.bucket(bucketMeta).Put([]byte(metaConfig), cfg)
}

// Counter names.
const (
	countInbox    = "count/inbox"
	countUnread   = "count/unread"
	countOutbox   = "count/outbox"
	countRejected = "count/rejected"
	countReceipts = "count/receipts"
	countIntents  = "count/audit-intents"
	countCopies   = "count/copies/" // + copy state
)

// Counts are the store's counters.
type Counts struct {
	// Inbox and Unread count the messages in the inbox and those not yet
	// opened.
	Inbox, Unread int64
	// Outbox counts the messages sent.
	Outbox int64
	// Copies counts the outbox's copies (one per message and recipient) by
	// state.
	Copies map[CopyState]int64
	// Rejected counts the inputs the node rejected.
	Rejected int64
	// ReceiptsQueued counts the receipts waiting for the hub's
	// acknowledgement.
	ReceiptsQueued int64
	// AuditIntents counts the groups of audit records the store holds
	// while the audit log commits them (see AuditIntent).
	AuditIntents int64
}

// Counts returns the counters.
func (t *Tx) Counts() Counts {
	c := Counts{
		Inbox:          t.count(countInbox),
		Unread:         t.count(countUnread),
		Outbox:         t.count(countOutbox),
		Rejected:       t.count(countRejected),
		ReceiptsQueued: t.count(countReceipts),
		AuditIntents:   t.count(countIntents),
		Copies:         map[CopyState]int64{},
	}
	for _, s := range CopyStates() {
		c.Copies[s] = t.count(countCopies + string(s))
	}
	return c
}

func (t *Tx) count(name string) int64 {
	v := t.bucket(bucketMeta).Get([]byte(name))
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func (t *Tx) add(name string, d int64) error {
	if d == 0 {
		return nil
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.count(name)+d))
	return t.bucket(bucketMeta).Put([]byte(name), b[:])
}

// seqKey encodes a sequence number as a key that sorts in order.
func seqKey(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// appendCounted stores v as JSON under bucket's next sequence number, after
// setSeq has written that number into v, and adds one to counter.
func (t *Tx) appendCounted(bucket []byte, counter string, v any, setSeq func(uint64)) error {
	b := t.bucket(bucket)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	setSeq(seq)
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := b.Put(seqKey(seq), data); err != nil {
		return err
	}
	return t.add(counter, 1)
}
