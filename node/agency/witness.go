package agency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
)

// Witnessing defaults.
const (
	// DefaultWitnessInterval: a busy node has a checkpoint cosigned at
	// most once a minute, which bounds the cosignatures its log keeps
	// (about 70 MB a year of constant activity) and the hub's fsyncs.
	DefaultWitnessInterval = time.Minute
	// witnessPoll bounds how long a new checkpoint waits to be noticed
	// once the interval has passed, or a connection to be used.
	witnessPoll = time.Second
	// MaxWitnessWait bounds the delay between two attempts while the
	// witness cannot be reached or refuses.
	MaxWitnessWait = 5 * time.Minute
	// witnessRequestTimeout bounds one add-checkpoint request.
	witnessRequestTimeout = 15 * time.Second
)

// AlarmWitness: the hub's witness cosigned a larger checkpoint of this
// log than the log holds, or refused one of its checkpoints as a fork: the
// audit log was rolled back or replaced.
const AlarmWitness = "witness"

// hubWitnessAlarm starts the text of the witness alarms the hub's witness
// raised, which the secretariat's reset of its state clears (a peer
// witness's stay).
const hubWitnessAlarm = "the hub's witness "

// WitnessStatus is what the node knows of the witnessing of its log.
type WitnessStatus struct {
	// Cosigned is the size of the newest checkpoint the node holds a
	// witness's cosignature of; 0 if none.
	Cosigned int64 `json:"cosigned"`
	// WitnessSize is the size the hub's witness last said it cosigned;
	// -1 if unknown.
	WitnessSize int64 `json:"witness_size"`
	// LastError is why the last request failed, if it did.
	LastError string `json:"last_error,omitempty"`
	// Peers are the peer witnesses of node.json's witness.peers.
	Peers []PeerWitnessStatus `json:"peers,omitempty"`
}

// witnessState is the witnessing goroutine's state, readable by Status.
type witnessState struct {
	mu    sync.Mutex
	st    WitnessStatus
	fails int // failed requests in a row
}

// Witness returns what the node knows of the witnessing of its log.
func (n *Node) Witness() WitnessStatus {
	n.witness.mu.Lock()
	defer n.witness.mu.Unlock()
	return n.witness.st
}

// witnessCheckpoints has each new checkpoint of the audit log cosigned by
// the hub's witness, until ctx ends: the newest one only, with a
// consistency proof from the size the witness cosigned last (from the last
// stored cosignature, else learnt from the witness's conflict answer). A
// node that was offline catches up in one request. Failures are retried
// with back-off.
func (n *Node) witnessCheckpoints(ctx context.Context, nc *nats.Conn) {
	last, err := n.audit.LatestCosigned()
	if err != nil {
		n.log.Error("witness: cannot read the stored cosignatures", "err", err)
		return
	}
	var cosigned int64
	if last != nil {
		cosigned = last.Checkpoint.Size
	}
	known := cosigned // the witness's size as far as the node knows
	n.setWitness(func(s *WitnessStatus) { s.Cosigned, s.WitnessSize = cosigned, -1 })
	poll := min(n.o.WitnessInterval, witnessPoll)
	var delay time.Duration // the first look is at once
	var next time.Time      // no request before then
	started := false        // the witness has answered since the start
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = poll
		cp := n.audit.LatestCheckpoint()
		// Once after each start the newest checkpoint goes to the witness
		// even if it holds its cosignature already: a witness ahead of
		// it means this log was rolled back or replaced.
		if cp == nil || cp.Size <= cosigned && started || !nc.IsConnected() || time.Now().Before(next) {
			continue
		}
		reset, err := n.submitCheckpoint(ctx, nc, cp, known, cp.Size > cosigned)
		var conflict *witnessConflict
		switch {
		case err == nil:
			cosigned, known, started = cp.Size, cp.Size, true
			next = time.Now().Add(n.o.WitnessInterval)
			if reset {
				// The record of the reset is witnessed at once.
				next = time.Now()
			}
			n.setWitness(func(s *WitnessStatus) { s.Cosigned, s.WitnessSize, s.LastError = cp.Size, cp.Size, "" })
			continue
		case errors.As(err, &conflict) && conflict.size <= cp.Size && conflict.size != known:
			// The node's idea of the witness's size was out of date:
			// ask again at once with a proof from the right size.
			known = conflict.size
			n.setWitness(func(s *WitnessStatus) { s.WitnessSize = conflict.size })
			delay = 0
			continue
		case errors.As(err, &conflict) && conflict.size > cp.Size:
			what := fmt.Sprintf(hubWitnessAlarm+"cosigned a checkpoint of size %d of this agency's audit log, but the log's newest checkpoint has size %d: the audit log was rolled back or replaced; keep audit.db as evidence and tell the secretariat", conflict.size, cp.Size)
			n.alarms.raiseKind(AlarmWitness, what)
			n.log.Error("witness: the audit log is behind what the witness cosigned", "witness_size", conflict.size, "log_size", cp.Size)
			// No proof can start beyond the checkpoint: ask again from
			// what the log holds, which the witness accepts once the
			// secretariat has reset its state of this log after a
			// restart of the log ('casenode hub witness reset').
			known = cosigned
		}
		var refused *witnessRefusal
		if errors.As(err, &refused) && refused.status == witness.StatusUnprocessable {
			n.alarms.raiseKind(AlarmWitness, hubWitnessAlarm+"refused this log's checkpoint of size "+strconv.FormatInt(cp.Size, 10)+": "+refused.reason+"; keep audit.db as evidence and tell the secretariat")
		}
		n.log.Warn("witness: checkpoint not cosigned; trying again later", "size", cp.Size, "err", err)
		n.setWitness(func(s *WitnessStatus) { s.LastError = err.Error() })
		next = time.Now().Add(n.witnessBackoff())
	}
}

func (n *Node) setWitness(f func(*WitnessStatus)) {
	n.witness.mu.Lock()
	defer n.witness.mu.Unlock()
	f(&n.witness.st)
}

// witnessBackoff doubles the wait after each failure in a row, up to
// MaxWitnessWait; a success resets it.
func (n *Node) witnessBackoff() time.Duration {
	n.witness.mu.Lock()
	defer n.witness.mu.Unlock()
	n.witness.fails++
	return min(n.o.WitnessInterval<<min(n.witness.fails, 20), MaxWitnessWait)
}

// witnessConflict is a 409 answer: the witness cosigned size, not the old
// size the node sent.
type witnessConflict struct{ size int64 }

func (e *witnessConflict) Error() string {
	return fmt.Sprintf("the witness cosigned size %d", e.size)
}

// witnessRefusal is any other refusal.
type witnessRefusal struct {
	status int
	reason string
}

func (e *witnessRefusal) Error() string {
	return fmt.Sprintf("the witness refused (%d): %s", e.status, e.reason)
}

// submitCheckpoint asks the hub's witness to cosign cp with a consistency
// proof from old, checks the cosignatures against the roster's witness
// keys and stores those that verify.
// With store false (a checkpoint whose cosignature the log holds), the
// answer is checked but not stored again. reset says that the answer
// carried the secretariat's reset of the witness's state, which the node
// took and recorded (takeWitnessReset).
func (n *Node) submitCheckpoint(ctx context.Context, nc *nats.Conn, cp *auditlog.Checkpoint, old int64, store bool) (reset bool, err error) {
	req := &witness.Request{Old: old, Checkpoint: cp.Note}
	if old > 0 && old < cp.Size {
		p, err := n.audit.ProveTree(cp.Size, old)
		if err != nil {
			return reset, fmt.Errorf("consistency proof from size %d: %w", old, err)
		}
		req.Proof = p
	}
	ctx, cancel := context.WithTimeout(ctx, witnessRequestTimeout)
	defer cancel()
	msg, err := nc.RequestMsgWithContext(ctx, &nats.Msg{Subject: protocol.WitnessSubject(n.cfg.Network, n.cfg.Agency), Data: req.Marshal()})
	if err != nil {
		return reset, fmt.Errorf("witness request: %w", err)
	}
	status, err := strconv.Atoi(msg.Header.Get(witness.StatusHeader))
	if err != nil {
		return reset, fmt.Errorf("witness answer without a status")
	}
	switch status {
	case witness.StatusOK:
	case witness.StatusConflict:
		size, err := witness.ParseConflict(msg.Data)
		if err != nil {
			return reset, err
		}
		return reset, &witnessConflict{size: size}
	default:
		return reset, &witnessRefusal{status: status, reason: string(limitText(msg.Data))}
	}
	if order := msg.Header.Get(witness.ResetHeader); order != "" {
		reset = n.takeWitnessReset(ctx, []byte(order))
	}
	n.witness.mu.Lock()
	n.witness.fails = 0
	n.witness.mu.Unlock()
	rf := n.rosterNow()
	if rf == nil || len(rf.roster.Witnesses) == 0 {
		n.log.Warn("witness: the roster names no witness key, so the cosignature cannot be checked and is not kept", "size", cp.Size,
			"hint", "ask the secretariat to run 'casenode hub renew'")
		return reset, nil
	}
	known, err := witness.Verifiers(rf.roster.Witnesses)
	if err != nil {
		return reset, err
	}
	cosigs, _, err := witness.CheckCosigned(append(append([]byte(nil), cp.Note...), msg.Data...), known)
	if err != nil {
		return reset, fmt.Errorf("witness answer: %w", err)
	}
	if len(cosigs) == 0 {
		return reset, fmt.Errorf("witness answer: no cosignature by a witness the roster names")
	}
	var lines []byte
	for _, c := range cosigs {
		lines = append(lines, c.Line...)
	}
	if !store {
		return reset, nil
	}
	if err := n.audit.AddCosignatures(cp.Size, lines); err != nil {
		return reset, err
	}
	return reset, nil
}

// limitText keeps the first line of a refusal's reason, at most 200 bytes.
func limitText(b []byte) []byte {
	if len(b) > 200 {
		b = b[:200]
	}
	for i, c := range b {
		if c == '\n' {
			return b[:i]
		}
	}
	return b
}

// takeWitnessReset takes the secretariat's order that reset the hub
// witness's state of this log ('casenode hub witness reset'), which the
// witness sends with its first cosignature of the new history. Only an
// order signed by the secretariat's key of the roster in force, for this
// agency, counts: the node records it in its audit log (the order itself
// with it) and clears its alarms of the hub's witness at once. It reports
// whether it recorded the order.
func (n *Node) takeWitnessReset(ctx context.Context, order []byte) bool {
	rf := n.rosterNow()
	if rf == nil {
		return false
	}
	o, _, err := witness.VerifyReset(order, rf.roster)
	if err == nil && o.Agency != n.cfg.Agency {
		err = fmt.Errorf("the order resets agency %s, not this one", o.Agency)
	}
	if err != nil {
		n.log.Warn("witness: the reset order the witness sent does not hold; the witness alarm stays", "err", err)
		return false
	}
	sum := sha256.Sum256(order)
	payload, err := json.Marshal(struct {
		Action string `json:"action"`
		Detail string `json:"detail"`
		Order  string `json:"order"`
	}{"witness-reset", fmt.Sprintf("the secretariat (%s, %s) reset the hub witness's state of this log, order %s: %s",
		o.Actor, o.Issued.Time.UTC().Format(time.RFC3339), hex.EncodeToString(sum[:8]), o.Reason), string(order)})
	if err != nil {
		n.log.Error("witness: cannot encode the reset", "err", err)
		return false
	}
	if _, err := n.audit.AppendBatch(ctx, []auditlog.Entry{{Type: auditlog.TypeAccess, Actor: rf.roster.Secretariat, Payload: payload}}); err != nil {
		n.log.Error("witness: cannot record the secretariat's reset in the audit log; the witness alarm stays", "err", err)
		return false
	}
	cleared := n.alarms.clearText(AlarmWitness, hubWitnessAlarm)
	n.log.Warn("witness: the secretariat reset the hub witness's state of this log; its witness alarms cleared", "actor", o.Actor, "reason", o.Reason, "cleared", cleared)
	return true
}
