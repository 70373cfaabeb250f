package agency

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	bolt "go.etcd.io/bbolt"
)

// RestartAuditLog starts the audit log of the stopped node of dir over
// after a broken one (auditlog.Restart), and writes into the new log's
// first commit, after its restart record, the node's configuration and the
// roster in force with the other members' cards: without them an auditor
// could judge neither the rosters the new log records later (the
// secretariat's key is pinned by the configuration) nor the witnesses'
// cosignatures (their keys are in the roster).
//
// A directory without node.json (keys only, not joined) gets the bare
// restart.
func RestartAuditLog(ctx context.Context, dir string, id *identity.Identity, lockTimeout time.Duration) (*auditlog.Restarted, error) {
	path := filepath.Join(dir, auditlog.FileName)
	opts := AuditOptions(id, lockTimeout, nil)
	if _, err := os.Stat(filepath.Join(dir, config.NodeFile)); errors.Is(err, fs.ErrNotExist) {
		return auditlog.Restart(ctx, path, opts)
	}
	cfg, err := config.LoadNode(dir)
	if err != nil {
		return nil, err
	}
	conf, err := os.ReadFile(filepath.Join(dir, config.NodeFile))
	if err != nil {
		return nil, err
	}
	signed, err := storedRoster(path, lockTimeout)
	if err != nil {
		return nil, err
	}
	then := []auditlog.Entry{{Type: auditlog.TypeConfig, Actor: cfg.Agency, Payload: conf}}
	if signed != nil {
		r, err := (&Node{cfg: cfg}).verifyRoster(signed)
		if err != nil {
			return nil, fmt.Errorf("the roster stored in %s: %w", path, err)
		}
		then = append(then, auditlog.Entry{Type: auditlog.TypeRoster, Actor: r.Secretariat, Payload: signed})
		for _, m := range r.Members {
			if m.Card.Agency == cfg.Agency {
				continue
			}
			card, err := m.Card.Marshal()
			if err != nil {
				return nil, fmt.Errorf("roster serial %d: card of %s: %w", r.Serial, m.Card.Agency, err)
			}
			then = append(then, auditlog.Entry{Type: auditlog.TypeKey, Actor: m.Card.Agency, Payload: card})
		}
	}
	return auditlog.RestartCarrying(ctx, path, opts, then, keepSealed)
}

// keepSealed copies into the store of fresh, the new log's file, the
// sealed bytes of every message still to publish whose outbox entry names
// its sent record in the old log (store.OutboxEntry.SentRecord): in the new
// log that number names another record. A record the old log no longer
// holds intact leaves its entry as it was; the node says at start that it
// cannot publish it.
func keepSealed(old, fresh *bolt.Tx) error {
	st := store.In(fresh, auditlog.StoreBucket)
	if st == nil {
		return nil
	}
	pending, err := st.ListOutbox(store.OutboxFilter{Pending: true})
	if err != nil {
		return err
	}
	for _, e := range pending {
		if e.SentRecord == nil {
			continue
		}
		raw, err := auditlog.SentPayload(old, *e.SentRecord, e.Header.ID, e.Hash)
		if err != nil {
			continue
		}
		if err := st.KeepOutboxRaw(e.Header.ID, raw); err != nil {
			return err
		}
	}
	return nil
}

// storedRoster reads the roster in force from the node's store in its one
// file at path (read-only; the node is stopped), nil if there is none.
func storedRoster(path string, lockTimeout time.Duration) ([]byte, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: max(lockTimeout, time.Second)})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var signed []byte
	_, err = store.ViewIn(db, auditlog.StoreBucket, func(tx *store.Tx) error { signed = tx.Roster(); return nil })
	return signed, err
}
