package agency

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
)

// recordKey identifies an audit record for recovery.
type recordKey struct {
	t    auditlog.Type
	id   string
	hash [sha256.Size]byte
}

// completeAudit finishes commits a crash interrupted in a node of the
// earlier layout, whose store and audit log were two files committed at
// the same time, the store's transaction carrying the audit records as an
// intent (store.AuditIntent): it appends the records of the store's
// intents that the audit log lacks, then deletes the intents. It runs at
// Open, before the node receives or sends. In the node's one file a
// message and its records commit together: no intent is written any more,
// and those of a converted directory are completed once.
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
			e := auditlog.Entry{Type: auditlog.Type(r.Type), Actor: r.Actor, MessageID: r.MessageID, Payload: r.Payload}
			if r.HubSeq != 0 {
				e.Hub = &auditlog.HubStamp{Stored: r.HubStored, Seq: r.HubSeq}
			}
			missing = append(missing, e)
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

// completeSends finishes the sends a crash interrupted the other way
// round in a node of the earlier layout: the audit log has their sent
// record, the outbox does not. It scans the audit log from the mark the
// last commit of sent messages left (store.Tx.SentMark), opens each such
// message — sealed to its sender too — and adds it to the outbox, from
// where it is published like any other: a send is recorded whole or not
// at all. Then it deletes the mark: in the node's one file a send is one
// commit, and no mark is written any more. It runs at Open, after
// completeAudit, before the node receives or sends.
func (n *Node) completeSends() error {
	var from int64
	var marked bool
	if err := n.store.View(func(tx *store.Tx) error { from, marked = tx.SentMark(); return nil }); err != nil {
		return err
	}
	if !marked {
		return nil
	}
	size, err := n.audit.Size()
	if err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	if from < size {
		if err := n.recoverSends(from); err != nil {
			return err
		}
	}
	return n.store.Update(func(tx *store.Tx) error { return tx.ClearSentMark() })
}

// recoverSends adds to the outbox the sent messages recorded in the audit
// log from index from on that the outbox lacks.
func (n *Node) recoverSends(from int64) error {
	type sent struct {
		rec *auditlog.Record
		raw []byte
	}
	var found []sent
	err := n.audit.Iterate(from, func(rec *auditlog.Record, payload []byte) error {
		if rec.Type == auditlog.TypeSent {
			found = append(found, sent{rec, append([]byte(nil), payload...)})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	if len(found) == 0 {
		return nil
	}
	var missing []sent
	if err := n.store.View(func(tx *store.Tx) error {
		for _, s := range found {
			e, err := tx.Outbox(s.rec.MessageID)
			if err != nil {
				return err
			}
			if e == nil {
				missing = append(missing, s)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	var entries []*store.OutboxEntry
	var raws [][]byte
	for _, s := range missing {
		e, err := n.outboxEntryOf(s.raw, s.rec)
		if err != nil {
			n.log.Error("a sent record has no outbox entry and cannot be opened again; it is not sent", "record", s.rec.Seq, "message", s.rec.MessageID, "err", err)
			continue
		}
		entries, raws = append(entries, e), append(raws, s.raw)
	}
	err = n.store.Update(func(tx *store.Tx) error {
		for i, e := range entries {
			if err := tx.AddOutbox(e, raws[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("complete the outbox: %w", err)
	}
	n.log.Warn("completed the outbox after an interrupted send: recorded in the audit log, these messages are now sent", "messages", len(entries))
	return nil
}

// outboxEntryOf rebuilds the outbox entry of a message this node sealed,
// from its sent record: the node is one of its recipients.
func (n *Node) outboxEntryOf(raw []byte, rec *auditlog.Record) (*store.OutboxEntry, error) {
	rf := n.rosterNow()
	if rf == nil {
		return nil, fmt.Errorf("no roster in force")
	}
	env, p, err := seal.Parse(raw)
	if err != nil {
		return nil, err
	}
	o, err := seal.OpenParsed(env, p, n.ident(), rf.keysAt(env.Header.Created.Time), seal.VerifyOptions{Network: n.cfg.Network, SkipTime: true})
	if err != nil {
		return nil, err
	}
	if o.Header.ID != rec.MessageID || o.Header.From != n.cfg.Agency {
		return nil, fmt.Errorf("the record is of message %s, the payload is message %s from %s", rec.MessageID, o.Header.ID, o.Header.From)
	}
	return &store.OutboxEntry{Header: o.Header, Body: json.RawMessage(o.Body), Hash: messageHash(raw), Size: len(raw), Sent: rec.Time, Actor: rec.Actor}, nil
}
