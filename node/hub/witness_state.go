package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"
)

// cosignedState is the witness's state for one agency: the cosigned
// checkpoint as stored, and its bucket revision.
type cosignedState struct {
	note []byte
	cp   *witness.Checkpoint
	rev  uint64
}

func sizeOf(l *witness.Latest) int64 {
	if l == nil {
		return 0
	}
	return l.Size
}

// logKeys are the keys agency's checkpoints may be signed with, as the
// roster in force says: its card's key, and the earlier keys it replaced
// (not those revoked). Only an active member's log is witnessed.
func (w *witnessService) logKeys(agency string) (note.Verifiers, error) {
	r := w.roster()
	m := r.Member(agency)
	if m == nil || m.Status != protocol.StatusActive {
		return nil, fmt.Errorf("agency %q is not an active member", agency)
	}
	keys := []ed25519.PublicKey{m.Card.PublicKey()}
	for i := range m.Previous {
		if p := &m.Previous[i]; !p.Revoked {
			keys = append(keys, p.PublicKey())
		}
	}
	return witness.LogVerifiers(protocol.LogOrigin(w.network, agency), keys)
}

// noteText returns the text of a signed note: what comes before the blank
// line that starts the signatures.
func noteText(signed []byte) ([]byte, bool) {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return nil, false
	}
	return signed[:i+1], true
}

// latest reads the witness's state for agency; nil if it never cosigned
// its log.
func (w *witnessService) latest(ctx context.Context, agency string) (*cosignedState, error) {
	e, err := w.state.Get(ctx, agency)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	text, ok := noteText(e.Value())
	if !ok {
		return nil, fmt.Errorf("the stored checkpoint of %s is not a note", agency)
	}
	cp, err := witness.ParseCheckpointText(string(text))
	if err != nil {
		return nil, fmt.Errorf("the stored checkpoint of %s: %w", agency, err)
	}
	return &cosignedState{note: e.Value(), cp: cp, rev: e.Revision()}, nil
}

// store records the new cosigned checkpoint of agency, atomically against
// the state it judged (cur, nil for none), and durably before the
// cosignature is given.
func (w *witnessService) store(ctx context.Context, agency string, cosigned []byte, cur *cosignedState) error {
	var err error
	if cur == nil {
		_, err = w.state.Create(ctx, agency, cosigned)
	} else {
		_, err = w.state.Update(ctx, agency, cosigned, cur.rev)
	}
	if err != nil {
		return err
	}
	if w.syncer != nil {
		return w.syncer.sync()
	}
	return nil
}

// maxWitnessAlarm bounds an encoded WitnessAlarm: two checkpoints and a
// proof.
const maxWitnessAlarm = 4*witness.MaxCheckpointSize + 4096

// WitnessAlarm is a checkpoint the hub's witness refused as evidence
// against a member's log: two checkpoints signed by the agency's key that
// cannot both be honest states of one append-only log.
type WitnessAlarm struct {
	// Agency is the member whose log it is.
	Agency string `json:"agency"`
	// Kind is witness.EvidenceFork, EvidenceRollback or
	// EvidenceInconsistent.
	Kind string `json:"kind"`
	// Detected is when the witness refused it (the hub's clock).
	Detected time.Time `json:"detected"`
	// Cosigned is the checkpoint the witness had cosigned, with its
	// cosignature.
	Cosigned string `json:"cosigned"`
	// Submitted is the checkpoint refused, as the node sent it.
	Submitted string `json:"submitted"`
	// Old and Proof are the request's old size and consistency proof
	// (base64 hashes), for an inconsistent checkpoint.
	Old   int64    `json:"old"`
	Proof []string `json:"proof,omitempty"`
}

// recordAlarm keeps the evidence of a refused checkpoint in the alarm
// bucket and logs it at error level: the secretariat must look.
func (w *witnessService) recordAlarm(ctx context.Context, agency string, v witness.Verdict, cur *cosignedState, req *witness.Request) {
	a := WitnessAlarm{Agency: agency, Kind: v.Evidence, Detected: w.now().UTC(), Cosigned: string(cur.note), Submitted: string(req.Checkpoint), Old: req.Old}
	if v.Evidence == witness.EvidenceInconsistent {
		for _, h := range req.Proof {
			a.Proof = append(a.Proof, h.String())
		}
	}
	data, err := json.Marshal(a)
	if err == nil {
		_, err = w.alarms.Create(ctx, agency+"."+v.Evidence, data)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists):
		// The first of each kind is the evidence; a node repeating its
		// request must not fill the bucket or the log.
		w.log.Debug("witness: the same kind of contradiction again", "agency", agency, "kind", v.Evidence, "submitted_size", v.Checkpoint.Size)
	case err != nil:
		w.log.Error("witness alarm not recorded", "agency", agency, "kind", v.Evidence, "err", err)
	default:
		w.log.Error("witness: a member's log contradicts the checkpoint the hub cosigned", "agency", agency, "kind", v.Evidence,
			"cosigned_size", cur.cp.Size, "submitted_size", v.Checkpoint.Size, "fix", "compare the two checkpoints ('casenode hub witness alarms'); ask the agency what happened to its audit log")
	}
}

// WitnessAlarms returns the forks and rollbacks the hub's witness refused,
// oldest first.
func (h *Hub) WitnessAlarms(ctx context.Context) ([]WitnessAlarm, error) {
	return readWitnessAlarms(ctx, h.witness.alarms)
}

func readWitnessAlarms(ctx context.Context, kv jetstream.KeyValue) ([]WitnessAlarm, error) {
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("read witness alarms: %w", err)
	}
	var out []WitnessAlarm
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("read witness alarm %s: %w", k, err)
		}
		var a WitnessAlarm
		if err := protocol.DecodeStrict("witness alarm", e.Value(), maxWitnessAlarm, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b WitnessAlarm) int { return a.Detected.Compare(b.Detected) })
	return out, nil
}

// WitnessCheckpoint returns the latest checkpoint of agency's log that the
// hub's witness cosigned, with its cosignature, or nil if there is none.
func (h *Hub) WitnessCheckpoint(ctx context.Context, agency string) ([]byte, error) {
	return readWitnessCheckpoint(ctx, h.witness.state, agency)
}

func readWitnessCheckpoint(ctx context.Context, kv jetstream.KeyValue, agency string) ([]byte, error) {
	if err := protocol.ValidateID("agency", agency); err != nil {
		return nil, err
	}
	e, err := kv.Get(ctx, agency)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the witness's checkpoint of %s: %w", agency, err)
	}
	return e.Value(), nil
}
