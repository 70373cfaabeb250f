package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
)

// auditIntents holds the intents (see store.AuditIntent) whose audit
// records are durable, until a store transaction deletes them.
type auditIntents struct {
	mu      sync.Mutex
	settled []uint64
}

// settle marks intents as done with: the audit log has their records.
func (a *auditIntents) settle(seqs ...uint64) {
	a.mu.Lock()
	a.settled = append(a.settled, seqs...)
	a.mu.Unlock()
}

// take returns the settled intents, for a transaction to delete; if that
// transaction fails, give them back with settle.
func (a *auditIntents) take() []uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.settled
	a.settled = nil
	return out
}

// queueAudit queues entries for the audit log and returns the intent to
// write into the store transaction that depends on them. The store and the
// audit log then commit at the same time; the intent lets Open complete
// the audit log should a crash come between the two.
func (n *Node) queueAudit(entries []auditlog.Entry) (*auditlog.Pending, *store.AuditIntent) {
	from, err := n.audit.Size()
	if err != nil {
		from = 0 // a wider scan at recovery, never a missed record
	}
	in := &store.AuditIntent{From: from, Records: make([]store.IntentRecord, len(entries))}
	for i, e := range entries {
		in.Records[i] = store.IntentRecord{Type: uint8(e.Type), Actor: e.Actor, MessageID: e.MessageID, Payload: e.Payload}
	}
	return n.audit.AppendAsync(entries...), in
}

// recordIntents writes the intents of a transaction and deletes the
// settled ones.
func recordIntents(tx *store.Tx, settled []uint64, intents ...*store.AuditIntent) error {
	if err := tx.DeleteAuditIntents(settled); err != nil {
		return err
	}
	for _, in := range intents {
		if in == nil {
			continue
		}
		if err := tx.AddAuditIntent(in); err != nil {
			return err
		}
	}
	return nil
}

// recordKey identifies an audit record for recovery.
type recordKey struct {
	t    auditlog.Type
	id   string
	hash [sha256.Size]byte
}

// completeAudit finishes commits a crash interrupted: it appends the
// records of the store's intents that the audit log lacks, then deletes
// the intents. It runs at Open, before the node receives or sends.
func (n *Node) completeAudit(ctx context.Context) error {
	var intents []*store.AuditIntent
	if err := n.store.View(func(tx *store.Tx) (err error) {
		intents, err = tx.AuditIntents()
		return err
	}); err != nil {
		return fmt.Errorf("read audit intents: %w", err)
	}
	if len(intents) == 0 {
		return nil
	}
	from := intents[0].From
	seqs := make([]uint64, len(intents))
	for i, in := range intents {
		from = min(from, in.From)
		seqs[i] = in.Seq
	}
	have := map[recordKey]int{}
	if err := n.audit.Iterate(from, func(rec *auditlog.Record, _ []byte) error {
		have[recordKey{rec.Type, rec.MessageID, rec.PayloadHash}]++
		return nil
	}); err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	var missing []auditlog.Entry
	for _, in := range intents {
		for _, r := range in.Records {
			k := recordKey{auditlog.Type(r.Type), r.MessageID, sha256.Sum256(r.Payload)}
			if have[k] > 0 {
				have[k]--
				continue
			}
			missing = append(missing, auditlog.Entry{Type: auditlog.Type(r.Type), Actor: r.Actor, MessageID: r.MessageID, Payload: r.Payload})
		}
	}
	if len(missing) > 0 {
		if _, err := n.audit.AppendBatch(ctx, missing); err != nil {
			return fmt.Errorf("complete the audit log: %w", err)
		}
		n.log.Warn("completed the audit log after an interrupted commit", "records", len(missing), "intents", len(intents))
	}
	if err := n.store.Update(func(tx *store.Tx) error { return tx.DeleteAuditIntents(seqs) }); err != nil {
		return fmt.Errorf("delete audit intents: %w", err)
	}
	return nil
}
