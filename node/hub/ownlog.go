package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// The hub's own audit log: what the secretariat's people did at the hub
// (admissions, rotations, revocations, renewals from the console), in a
// hash-chained log of its own, signed by a key of the hub's own (not the
// secretariat's, whose key stays encrypted and is used only to sign
// rosters).
const (
	// OwnLogDir holds the hub log's identity: its card and keys, 0600.
	OwnLogDir = "hublog"
	// OwnLogFile is the hub's audit log.
	OwnLogFile = "hub-audit.db"
)

// ownLogAgency is the name of the hub's log: the secretariat's agency id
// with "-hub", or "hub" when that is too long.
func ownLogAgency(secretariat string) string {
	if len(secretariat)+4 <= protocol.MaxIDLen {
		return secretariat + "-hub"
	}
	return "hub"
}

// ensureOwnLogIdentity creates the hub log's identity in dir/hublog unless
// it exists: key files created exclusively, mode 0600 (identity.Save).
func ensureOwnLogIdentity(dir string, sec *protocol.MemberCard, now time.Time) error {
	if _, err := os.Stat(filepath.Join(dir, OwnLogDir, identity.CardFile)); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	id, err := identity.Generate(sec.Network, ownLogAgency(sec.Agency), "hub audit log", sec.Country, sec.Kind(), now)
	if err != nil {
		return fmt.Errorf("create the hub's audit log key: %w", err)
	}
	if err := id.Save(filepath.Join(dir, OwnLogDir), nil); err != nil {
		return fmt.Errorf("create the hub's audit log key: %w", err)
	}
	return nil
}

// openOwnLog opens the hub's audit log, creating its key first for a hub
// directory made before it existed.
func openOwnLog(dir string, sec *protocol.MemberCard) (*auditlog.Log, error) {
	if err := ensureOwnLogIdentity(dir, sec, time.Now()); err != nil {
		return nil, err
	}
	id, err := identity.Load(filepath.Join(dir, OwnLogDir), nil)
	if err != nil {
		return nil, fmt.Errorf("load the hub's audit log key: %w", err)
	}
	return auditlog.Open(filepath.Join(dir, OwnLogFile), auditlog.Options{Card: id.Card, Key: id.Signing})
}

// Action is one change a person made at the hub, as its audit log
// records it (the payload of an access record).
type Action struct {
	// Action is admit, rotate, revoke, renew, witness-reset, or one of
	// them with ".failed"; witness-reset.refused is an order from the hub
	// directory that failed its checks.
	Action string `json:"action"`
	// Agency is the member concerned, if any.
	Agency string `json:"agency,omitempty"`
	// Serial is the roster serial the action signed.
	Serial uint64 `json:"serial,omitempty"`
	// KeyID is the member's signing key id the action installed or
	// revoked.
	KeyID string `json:"kid,omitempty"`
	// Error is why a failed action failed.
	Error string `json:"error,omitempty"`
	// Reason, Order, OldSize and OldRoot are a witness reset's: why, the
	// order's id, and the checkpoint the witness forgot.
	Reason  string `json:"reason,omitempty"`
	Order   string `json:"order,omitempty"`
	OldSize int64  `json:"old_size,omitempty"`
	OldRoot string `json:"old_root,omitempty"`
}

// record appends an access record of a to the hub's audit log under actor
// ("console:NAME") and waits until it is on disk.
func (h *Hub) record(ctx context.Context, actor string, a Action) error {
	_, err := h.recordSeq(ctx, actor, a)
	return err
}

// recordSeq is record, and returns the record's index in the log.
func (h *Hub) recordSeq(ctx context.Context, actor string, a Action) (int64, error) {
	if h.own == nil {
		return 0, errors.New("the hub's audit log is not open")
	}
	payload, err := json.Marshal(a)
	if err != nil {
		return 0, err
	}
	seq, err := h.own.Append(ctx, auditlog.Entry{Type: auditlog.TypeAccess, Actor: actor, Payload: payload})
	if err != nil {
		return 0, fmt.Errorf("record in the hub's audit log: %w", err)
	}
	return seq, nil
}

// OwnLogPath returns the path of the hub's audit log.
func (h *Hub) OwnLogPath() string { return filepath.Join(h.dir, OwnLogFile) }

// RecordedAction is an action as the hub's audit log holds it.
type RecordedAction struct {
	Seq   int64
	Time  time.Time
	Actor string
	Action
}

// RecentActions returns the last n actions of the hub's audit log, newest
// first.
func (h *Hub) RecentActions(n int) ([]RecordedAction, error) {
	size, err := h.own.Size()
	if err != nil {
		return nil, err
	}
	var out []RecordedAction
	err = h.own.Iterate(max(0, size-int64(4*n)), func(rec *auditlog.Record, payload []byte) error {
		if rec.Type != auditlog.TypeAccess {
			return nil
		}
		var a Action
		if err := protocol.DecodeStrict("action", payload, auditlog.MaxPayloadSize, &a); err != nil {
			return nil
		}
		out = append(out, RecordedAction{Seq: rec.Seq, Time: rec.Time, Actor: rec.Actor, Action: a})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}
