package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// formatID names the store's layout; Open refuses any other, but for
// formatIDV1 and formatIDV2, which it converts (checkFormat).
const (
	formatID = "casenode-store-3"
	// formatIDV2 kept every sent message's sealed bytes in the bucket
	// outbox-raw, a second copy of its sent record's payload in the audit
	// log. Format 3 names the record instead (OutboxEntry.SentRecord);
	// the entries of format 2 stay as they are and are read as they were:
	// converting one is stamping the new format, which a casenode of
	// format 2 then refuses to open (it would find no sealed bytes for the
	// new entries).
	formatIDV2 = "casenode-store-2"
	// formatIDV1 kept the counters in the meta bucket, beside the signed
	// roster: every commit that moved a counter rewrote the leaf that held
	// the roster, 313 KB at a hundred agencies with post-quantum keys.
	formatIDV1 = "casenode-store-1"
)

// Keys of the meta bucket.
const (
	metaFormat   = "format"
	metaRoster   = "roster"          // the signed roster in force
	metaConfig   = "config"          // the configuration last recorded in the audit log
	metaSentMark = "audit-sent-mark" // see SentMark
)

// checkFormat stamps a new store with formatID, and converts a store of
// an earlier format in the transaction that opens it: of formatIDV1, its
// counters move from the meta bucket to their own; of formatIDV2 (and V1),
// only the stamp changes.
func checkFormat(tx *Tx) error {
	m := tx.bucket(bucketMeta)
	switch f := m.Get([]byte(metaFormat)); {
	case f == nil:
	case string(f) == formatIDV2:
	case string(f) == formatIDV1:
		if err := moveCounters(m, tx.bucket(bucketCounts)); err != nil {
			return fmt.Errorf("convert the store's counters: %w", err)
		}
	case string(f) != formatID:
		return fmt.Errorf("not a casenode node store: format %q, want %q", f, formatID)
	default:
		return nil
	}
	return m.Put([]byte(metaFormat), []byte(formatID))
}

// moveCounters moves the counters of a store of formatIDV1 from the meta
// bucket to the counts bucket.
func moveCounters(meta, counts *bolt.Bucket) error {
	var keys, values [][]byte
	c := meta.Cursor()
	prefix := []byte(countPrefix)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		keys, values = append(keys, clone(k)), append(values, clone(v))
	}
	for i, k := range keys {
		if err := counts.Put(k, values[i]); err != nil {
			return err
		}
		if err := meta.Delete(k); err != nil {
			return err
		}
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

// Counter names, in the counts bucket (in the meta bucket in a store of
// formatIDV1, which a read-only view may still show).
const (
	countPrefix   = "count/"
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
	b := t.bucket(bucketCounts)
	if b == nil {
		b = t.bucket(bucketMeta) // a store of formatIDV1, viewed read-only
	}
	v := b.Get([]byte(name))
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
	return t.bucket(bucketCounts).Put([]byte(name), b[:])
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
