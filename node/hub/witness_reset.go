package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// The reset of the witness's state of one agency. After an agency started
// its audit log over ('casenode audit restart-log': a lost disk, a broken
// log), the witness refuses every checkpoint of the new log as a rollback
// or a fork of the old one. The secretariat, and only it, orders the
// witness to forget the old log: an order signed with its key (the same
// key that signs the roster), given on the hub's own machine — as a file in
// the hub directory (WitnessResetDir), which the running hub applies within
// its poll interval, or from its console. Members have no way to it: their
// only witness subject is add-checkpoint. The hub checks the order against
// the secretariat's key in the roster in force, records it in its own audit
// log (who, when, the size and root it forgot, the reason), keeps it with
// the forgotten cosigned checkpoint in the reset bucket for the auditors
// ('casenode hub witness export'), and clears the agency's witness alarms.
// The agency's next checkpoint then starts a new witnessed history, of any
// size.

// WitnessResetDir is the folder of the hub directory that holds the signed
// witness reset orders the hub has not applied yet; an order it refused is
// renamed there with the suffix ".refused".
const WitnessResetDir = "witness-resets"

// resetOrderExt is the name suffix of a pending order.
const resetOrderExt = ".jws"

// maxWitnessResetEvent bounds an encoded WitnessResetEvent: the order, the
// forgotten cosigned checkpoint and a few fields.
const maxWitnessResetEvent = protocol.MaxSignedWitnessResetSize + 2*4096 + 1024

// WitnessResetEvent is a reset of the witness's state as the hub applied
// it: the secretariat's signed order and what the witness forgot.
type WitnessResetEvent struct {
	// Agency is the member whose log's state was reset.
	Agency string `json:"agency"`
	// ID names the order: the first 16 hex digits of its SHA-256.
	ID string `json:"id"`
	// Order is the signed order (compact JWS, protocol.WitnessResetType),
	// which anyone holding the secretariat's key can check.
	Order string `json:"order"`
	// Signer is the key id of the secretariat key that signed it.
	Signer string `json:"signer"`
	// Actor, Reason and Issued are the order's: who gave it, why, when.
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	Issued time.Time `json:"issued"`
	// Applied is when the hub applied it (the hub's clock).
	Applied time.Time `json:"applied"`
	// OldSize and OldRoot are the checkpoint the witness had cosigned
	// last (0 and "" if none); OldCheckpoint is that checkpoint with its
	// cosignature, so that the old log can still be checked against it.
	OldSize       int64  `json:"old_size"`
	OldRoot       string `json:"old_root,omitempty"`
	OldCheckpoint string `json:"old_checkpoint,omitempty"`
	// Cleared are the kinds of the agency's witness alarms the reset
	// cleared (their evidence stays in the hub's audit log).
	Cleared []string `json:"cleared,omitempty"`
	// LogSeq is the record of the hub's audit log that holds the reset.
	LogSeq int64 `json:"hub_log_seq"`
}

// witnessResetConfig is the reset bucket: one key per order, kept.
func witnessResetConfig(network string, replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:       protocol.WitnessResetBucket(network),
		Description:  "casenode: the resets of the hub witness's state the secretariat ordered, with the signed order and the state forgotten, of network " + network,
		History:      1,
		MaxValueSize: maxWitnessResetEvent,
		MaxBytes:     64 << 20,
		Storage:      jetstream.FileStorage,
		Replicas:     replicas,
	}
}

// SignWitnessReset signs an order with the secretariat's key.
func SignWitnessReset(key ed25519.PrivateKey, r *protocol.WitnessReset) ([]byte, error) {
	return witness.SignReset(key, r)
}

// verifyWitnessReset checks a signed order against the secretariat's key
// of roster r and returns it, with the signing key's id.
func verifyWitnessReset(compact []byte, r *protocol.Roster) (*protocol.WitnessReset, string, error) {
	o, kid, err := witness.VerifyReset(compact, r)
	if err != nil {
		return nil, kid, &orderError{err}
	}
	return o, kid, nil
}

// resetOrderID names an order: 16 hex digits of its SHA-256.
func resetOrderID(compact []byte) string {
	h := sha256.Sum256(compact)
	return hex.EncodeToString(h[:8])
}

// signWitnessReset loads the secretariat's key and signs the order to
// reset the witness's state of agency.
func (s *Secretariat) signWitnessReset(agency, reason, actor string, now time.Time) ([]byte, error) {
	r := s.roster.Roster
	if r.Member(agency) == nil {
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is not in the roster of network %s", agency, r.Network),
			Fix: "run 'casenode member list' to see the roster"}
	}
	o := &protocol.WitnessReset{Network: r.Network, Agency: agency, Reason: strings.TrimSpace(reason), Actor: actor, Issued: protocol.NewTime(now)}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	id, err := identity.Load(filepath.Join(s.dir, SecretariatDir), s.passphrase)
	if err != nil {
		return nil, err
	}
	if id.Agency() != r.Secretariat || id.KeyID() != r.Member(r.Secretariat).Card.KeyID() {
		return nil, fmt.Errorf("the identity in %s is not the roster's secretariat %q", filepath.Join(s.dir, SecretariatDir), r.Secretariat)
	}
	return SignWitnessReset(id.Signing, o)
}

// OrderWitnessReset signs the order to reset the hub witness's state of
// agency's log and leaves it in the hub directory (WitnessResetDir), where
// the running hub applies it within its poll interval (a stopped hub, when
// it starts). It returns the order's id and file.
func (s *Secretariat) OrderWitnessReset(agency, reason, actor string, now time.Time) (id, path string, err error) {
	order, err := s.signWitnessReset(agency, reason, actor, now)
	if err != nil {
		return "", "", err
	}
	dir := filepath.Join(s.dir, WitnessResetDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	id = resetOrderID(order)
	path = filepath.Join(dir, agency+"-"+id+resetOrderExt)
	if err := writeExclusive(path, order, 0o600); err != nil {
		return "", "", err
	}
	return id, path, nil
}

// ResetWitness resets the witness's state of agency's log at once, from the
// secretariat's console: the secretariat's key, unlocked by passphrase for
// this change alone, signs the order, which the hub applies as one from
// the hub directory. A refusal is recorded in the hub's audit log too.
func (h *Hub) ResetWitness(ctx context.Context, actor, agency, reason string, passphrase []byte, now time.Time) (*WitnessResetEvent, error) {
	s, err := h.secretariat(passphrase)
	var order []byte
	if err == nil {
		order, err = s.signWitnessReset(agency, reason, actor, now)
		s.Close()
	}
	if err != nil {
		a := Action{Action: "witness-reset.failed", Agency: agency, Reason: reason, Error: err.Error()}
		if rerr := h.record(ctx, actor, a); rerr != nil {
			h.log.Error("cannot record a failed change", "actor", actor, "action", a.Action, "err", rerr)
		}
		return nil, err
	}
	return h.applyWitnessReset(ctx, order)
}

// applyWitnessReset checks a signed order and applies it: the hub's audit
// log first (nothing is forgotten before that is on disk), then the event
// in the reset bucket, then the state and alarms deleted. An order applied
// before (the bucket holds its event) only has its deletions done again,
// after a crash between the steps. Requests wait meanwhile.
func (h *Hub) applyWitnessReset(ctx context.Context, order []byte) (*WitnessResetEvent, error) {
	w := h.witness
	o, kid, err := verifyWitnessReset(order, h.Roster().Roster)
	if err != nil {
		return nil, err
	}
	id := resetOrderID(order)
	key := o.Agency + "." + id
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, err := w.resets.Get(ctx, key); err == nil {
		var ev WitnessResetEvent
		if err := protocol.DecodeStrict("witness reset", e.Value(), maxWitnessResetEvent, &ev); err != nil {
			return nil, err
		}
		if _, err := w.forget(ctx, o.Agency); err != nil {
			return nil, err
		}
		return &ev, nil
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("read the witness's resets: %w", err)
	}
	cur, err := w.latest(ctx, o.Agency)
	if err != nil {
		return nil, fmt.Errorf("read the witness's state of %s: %w", o.Agency, err)
	}
	kinds, err := w.alarmKinds(ctx, o.Agency)
	if err != nil {
		return nil, err
	}
	ev := &WitnessResetEvent{Agency: o.Agency, ID: id, Order: string(order), Signer: kid, Actor: o.Actor, Reason: o.Reason,
		Issued: o.Issued.Time, Applied: w.now().UTC(), Cleared: kinds}
	if cur != nil {
		ev.OldSize, ev.OldRoot, ev.OldCheckpoint = cur.cp.Size, cur.cp.Root.String(), string(cur.note)
	}
	// A retry after a failure past this point (the bucket, the disk) finds
	// its record in the hub's log and does not record the reset again.
	seq, err := h.resetRecord(id)
	if err != nil {
		return nil, err
	}
	if seq < 0 {
		seq, err = h.recordSeq(ctx, o.Actor, Action{Action: "witness-reset", Agency: o.Agency, Reason: o.Reason, Order: id, OldSize: ev.OldSize, OldRoot: ev.OldRoot})
		if err != nil {
			return nil, err
		}
	}
	ev.LogSeq = seq
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	if _, err := w.resets.Create(ctx, key, data); err != nil {
		return nil, fmt.Errorf("record the witness reset: %w", err)
	}
	if w.resetSyncer != nil {
		if err := w.resetSyncer.sync(); err != nil {
			return nil, err
		}
	}
	if _, err := w.forget(ctx, o.Agency); err != nil {
		return nil, err
	}
	h.log.Warn("witness: the secretariat reset the witness's state of a member's log; its next checkpoint starts a new witnessed history",
		"agency", o.Agency, "actor", o.Actor, "reason", o.Reason, "old_size", ev.OldSize, "old_root", ev.OldRoot, "cleared_alarms", strings.Join(kinds, ","), "order", id)
	return ev, nil
}

// resetRecord returns the index of the hub log's record of the reset
// order id, -1 if the log holds none.
func (h *Hub) resetRecord(id string) (int64, error) {
	if h.own == nil {
		return 0, errors.New("the hub's audit log is not open")
	}
	seq := int64(-1)
	err := h.own.Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		if rec.Type != auditlog.TypeAccess {
			return nil
		}
		var a Action
		if protocol.DecodeStrict("action", payload, auditlog.MaxPayloadSize, &a) == nil && a.Action == "witness-reset" && a.Order == id {
			seq = rec.Seq
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read the hub's audit log: %w", err)
	}
	return seq, nil
}

// forget deletes the witness's state and alarms of agency. The caller
// holds w.mu.
func (w *witnessService) forget(ctx context.Context, agency string) ([]string, error) {
	if err := w.state.Delete(ctx, agency); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("reset the witness's state of %s: %w", agency, err)
	}
	kinds, err := w.alarmKinds(ctx, agency)
	if err != nil {
		return nil, err
	}
	for _, k := range kinds {
		if err := w.alarms.Delete(ctx, agency+"."+k); err != nil {
			return nil, fmt.Errorf("clear the witness alarm %s of %s: %w", k, agency, err)
		}
	}
	if w.syncer != nil {
		return kinds, w.syncer.sync()
	}
	return kinds, nil
}

// alarmKinds lists the kinds of the witness alarms of agency.
func (w *witnessService) alarmKinds(ctx context.Context, agency string) ([]string, error) {
	keys, err := w.alarms.ListKeysFiltered(ctx, agency+".*")
	if err != nil {
		return nil, fmt.Errorf("read witness alarms: %w", err)
	}
	var kinds []string
	for k := range keys.Keys() {
		kinds = append(kinds, strings.TrimPrefix(k, agency+"."))
	}
	slices.Sort(kinds)
	return kinds, nil
}

// applyWitnessResetOrders applies the orders waiting in the hub directory,
// oldest first, and removes each once applied. An order that fails its
// checks is renamed with ".refused", logged and recorded in the hub's audit
// log: it is not tried again.
func (h *Hub) applyWitnessResetOrders(ctx context.Context) {
	dir := filepath.Join(h.dir, WitnessResetDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			h.log.Error("witness reset orders unreadable", "dir", dir, "err", err)
		}
		return
	}
	type pending struct {
		path string
		mod  time.Time
	}
	var list []pending
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), resetOrderExt) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		list = append(list, pending{filepath.Join(dir, e.Name()), fi.ModTime()})
	}
	slices.SortFunc(list, func(a, b pending) int { return a.mod.Compare(b.mod) })
	for _, p := range list {
		order, err := readLimited(p.path, protocol.MaxSignedWitnessResetSize)
		if err == nil {
			_, err = h.applyWitnessReset(ctx, order)
		}
		var bad *orderError
		refused := errors.As(err, &bad)
		if err != nil {
			if !refused {
				h.log.Error("witness reset order not applied yet", "file", p.path, "err", err)
				continue
			}
			h.log.Error("witness reset order refused", "file", p.path, "err", err, "fix", "sign the order with 'casenode hub witness reset' on this hub's directory")
			if rerr := h.record(ctx, "hub", Action{Action: "witness-reset.refused", Error: err.Error(), Order: filepath.Base(p.path)}); rerr != nil {
				h.log.Error("cannot record a refused witness reset order", "err", rerr)
			}
		}
		if refused {
			err = os.Rename(p.path, p.path+".refused")
		} else {
			err = os.Remove(p.path)
		}
		if err != nil {
			h.log.Error("witness reset order not moved", "file", p.path, "err", err)
		}
	}
}

// orderError is a fault of an order itself (its signature, its payload,
// its network or agency, its size): it will not pass, unlike a failure of
// JetStream or the disk.
type orderError struct{ err error }

func (e *orderError) Error() string { return e.err.Error() }
func (e *orderError) Unwrap() error { return e.err }

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, &orderError{fmt.Errorf("witness reset order %s is over the limit of %d bytes", filepath.Base(path), limit)}
	}
	return data, nil
}

// WitnessResets returns the resets the secretariat ordered of agency's
// witness state (every agency's with agency ""), oldest first.
func (h *Hub) WitnessResets(ctx context.Context, agency string) ([]WitnessResetEvent, error) {
	return readWitnessResets(ctx, h.witness.resets, agency)
}

func readWitnessResets(ctx context.Context, kv jetstream.KeyValue, agency string) ([]WitnessResetEvent, error) {
	filter := ">"
	if agency != "" {
		if err := protocol.ValidateID("agency", agency); err != nil {
			return nil, err
		}
		filter = agency + ".*"
	}
	keys, err := kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("read witness resets: %w", err)
	}
	var out []WitnessResetEvent
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("read witness reset %s: %w", k, err)
		}
		var ev WitnessResetEvent
		if err := protocol.DecodeStrict("witness reset", e.Value(), maxWitnessResetEvent, &ev); err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	slices.SortFunc(out, func(a, b WitnessResetEvent) int { return a.Applied.Compare(b.Applied) })
	return out, nil
}
