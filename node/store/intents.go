package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// AuditIntent is a group of audit records that a store transaction
// depends on. The node commits the store and the audit log at the same
// time rather than one after the other, and writes the records it queued
// for the audit log into the same store transaction as an intent. Once
// the audit log has them the intent is deleted, in a later transaction. An
// intent left behind by a crash between the two commits tells the node,
// when it opens again, which records the audit log may lack: those it
// appends before doing anything else, so that nothing stored in the inbox
// or outbox ever goes without its audit record.
type AuditIntent struct {
	// Seq identifies the intent; AddAuditIntent assigns it.
	Seq uint64 `json:"seq"`
	// From is the audit log's size before the records were queued: they
	// are at index From or after.
	From int64 `json:"from"`
	// Records are the audit records, in the order they were queued.
	Records []IntentRecord `json:"records"`
}

// IntentRecord is one audit record of an intent: the fields of an audit
// log entry.
type IntentRecord struct {
	// Type is the audit record's type (auditlog.Type).
	Type uint8 `json:"type"`
	// Actor is who did it, as the audit log records it.
	Actor string `json:"actor"`
	// MessageID is the message the record is about, or empty.
	MessageID string `json:"message_id,omitempty"`
	// Payload is the record's payload, exactly.
	Payload []byte `json:"payload"`
	// HubStored and HubSeq are the hub's stamp of a received message or
	// receipt (auditlog.HubStamp): when the hub stored it, and its stream
	// sequence; zero when there is none.
	HubStored time.Time `json:"hub_stored,omitzero"`
	HubSeq    uint64    `json:"hub_seq,omitempty"`
}

// AddAuditIntent stores a, assigning its Seq.
func (t *Tx) AddAuditIntent(a *AuditIntent) error {
	return t.appendCounted(bucketIntents, countIntents, a, func(seq uint64) { a.Seq = seq })
}

// DeleteAuditIntents deletes the intents seqs, once the audit log has
// their records. Seqs already deleted are ignored.
func (t *Tx) DeleteAuditIntents(seqs []uint64) error {
	b := t.bucket(bucketIntents)
	for _, seq := range seqs {
		if b.Get(seqKey(seq)) == nil {
			continue
		}
		if err := b.Delete(seqKey(seq)); err != nil {
			return err
		}
		if err := t.add(countIntents, -1); err != nil {
			return err
		}
	}
	return nil
}

// AuditIntents returns the intents in order.
func (t *Tx) AuditIntents() ([]*AuditIntent, error) {
	var out []*AuditIntent
	err := t.bucket(bucketIntents).ForEach(func(k, v []byte) error {
		var a AuditIntent
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("audit intent: %w", err)
		}
		out = append(out, &a)
		return nil
	})
	return out, err
}
