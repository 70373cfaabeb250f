package agency

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/protocol"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/nats-io/nats.go/jetstream"
)

// OfferRoster offers a signed roster as if the hub served it.
func (n *Node) OfferRoster(ctx context.Context, signed []byte) error {
	return n.takeRoster(ctx, signed)
}

// AppendAudit appends an audit record as the node would, without the
// store's side: what a crash between the two commits leaves.
func (n *Node) AppendAudit(ctx context.Context, e auditlog.Entry) error {
	_, err := n.audit.Append(ctx, e)
	return err
}

// AuditSize returns the number of records of the node's audit log.
func (n *Node) AuditSize() (int64, error) { return n.audit.Size() }

// AskPeer sends peer a request to cosign signed, a checkpoint of this
// agency's log, with a proof-less old size: a test's forgery travels the
// node's own way.
func (n *Node) AskPeer(ctx context.Context, peer string, signed []byte, old int64) error {
	n.peers.mu.Lock()
	js := n.peers.js
	n.peers.mu.Unlock()
	if js == nil {
		return errors.New("offline")
	}
	req := &witness.Request{Old: old, Checkpoint: signed}
	return n.publishPeerWitness(ctx, js, &protocol.PeerWitness{To: peer, Kind: protocol.PeerWitnessRequest, Body: string(req.Marshal())})
}

// SigningKey returns the agency's signing key.
func (n *Node) SigningKey() ed25519.PrivateKey { return n.ident().Signing }

// PeerWitnessedSize returns the size of the checkpoint of agency's log
// this node cosigned last as its peer witness; 0 if none.
func (n *Node) PeerWitnessedSize(agency string) int64 {
	var held *store.PeerWitnessed
	if err := n.store.View(func(tx *store.Tx) error {
		var err error
		held, err = tx.PeerWitnessed(agency)
		return err
	}); err != nil || held == nil {
		return 0
	}
	cp, err := signedCheckpoint(held.Checkpoint)
	if err != nil {
		return 0
	}
	return cp.Size
}

// CheckpointNote returns the signed checkpoint of size of the audit log.
func (n *Node) CheckpointNote(size int64) ([]byte, error) {
	cp, err := n.audit.CheckpointAt(size)
	if err != nil {
		return nil, err
	}
	return cp.Note, nil
}

// RosterRecipients returns how many parsed age recipients the node's
// sealers hold from the roster in force.
func (n *Node) RosterRecipients() int {
	n.sealers.mu.Lock()
	defer n.sealers.mu.Unlock()
	return len(n.sealers.roster)
}

// LateReceiptThenRefusal plays, on a publisher of its own over the node's
// current connection, the hub's answers to a copy and two receipts to
// recipient to: the acknowledgements of the copy and of the first receipt
// late (the timeout on a connection still open), then the second receipt
// refused with 409 because an earlier publication to to was not stored. It
// returns how long after that the copy and the first receipt wait before
// they go again.
func (n *Node) LateReceiptThenRefusal(to string) (copyWait, receiptWait time.Duration) {
	p := &publisher{n: n, kick: make(chan struct{}, 1), index: map[copyKey]*outCopy{}, win: newWindow(n.o.MaxInFlight)}
	now := n.o.Now()
	gen, _ := n.hub.generation()
	c := &outCopy{key: copyKey{"late-copy", to}, inflight: true}
	p.copies, p.inflight = []*outCopy{c}, 1
	late, refused := p.newReceipt(&store.QueuedReceipt{Seq: 1, ID: "late", To: to}, now), p.newReceipt(&store.QueuedReceipt{Seq: 2, ID: "refused", To: to}, now)
	p.receipts = []*outReceipt{late, refused}
	late.inflight, refused.inflight, c.inflight = true, true, true
	p.settle([]*flight{{c: c, gen: gen, err: jetstream.ErrAsyncPublishTimeout}, {r: late, gen: gen, err: jetstream.ErrAsyncPublishTimeout}})
	p.settle([]*flight{{r: refused, gen: gen, err: &jetstream.APIError{Code: protocol.HubEarlierFirstCode, Description: "casenode hub: message late of this sender to this recipient was not stored"}}})
	p.mu.Lock()
	defer p.mu.Unlock()
	return c.next.Sub(now), late.next.Sub(now)
}

// RefusalsBehindFailed plays, on a publisher of its own over the node's
// current connection, the hub's answers to publications to recipient to:
// first (a copy when firstCopy, else a receipt) fails otherwise than with
// 409 and goes again in a second, then three later receipts and one later
// copy are refused with 409 behind it. It returns what the publisher
// publishes in the 900 ms before first goes again, polled every 50 ms,
// and, at that second, the order of what it publishes then and in the
// round after.
func (n *Node) RefusalsBehindFailed(to string, firstCopy bool) (early int, then []string) {
	p := &publisher{n: n, kick: make(chan struct{}, 1), index: map[copyKey]*outCopy{}, win: newWindow(n.o.MaxInFlight)}
	now := n.o.Now()
	gen, _ := n.hub.generation()
	p.gen = gen
	unavailable := &jetstream.APIError{Code: 503, Description: "casenode hub: the stream did not answer"}
	refusal := &jetstream.APIError{Code: protocol.HubEarlierFirstCode, Description: "casenode hub: message first of this sender to this recipient was not stored"}
	var fs, refused []*flight
	if firstCopy {
		c := &outCopy{key: copyKey{"first", to}, inflight: true}
		p.copies, p.inflight = append(p.copies, c), p.inflight+1
		fs = append(fs, &flight{c: c, gen: gen, err: unavailable})
	} else {
		r := p.newReceipt(&store.QueuedReceipt{Seq: 1, ID: "first", To: to}, now)
		r.inflight = true
		p.receipts = append(p.receipts, r)
		fs = append(fs, &flight{r: r, gen: gen, err: unavailable})
	}
	for i, id := range []string{"r2", "r3", "r4"} {
		r := p.newReceipt(&store.QueuedReceipt{Seq: uint64(i + 2), ID: id, To: to}, now)
		r.inflight = true
		p.receipts = append(p.receipts, r)
		refused = append(refused, &flight{r: r, gen: gen, err: refusal})
	}
	c := &outCopy{key: copyKey{"c5", to}, inflight: true}
	p.copies, p.inflight = append(p.copies, c), p.inflight+1
	refused = append(refused, &flight{c: c, gen: gen, err: refusal})
	p.settle(fs)
	p.settle(refused)
	p.mu.Lock()
	var firstNext time.Time
	for _, r := range p.receipts {
		if r.q.ID == "first" {
			firstNext = r.next
		}
	}
	for _, c := range p.copies {
		if c.key.id == "first" {
			firstNext = c.next
		}
	}
	p.mu.Unlock()
	name := func(f *flight) string {
		if f.c != nil {
			return f.c.key.id
		}
		return f.r.q.ID
	}
	for at := now.Add(50 * time.Millisecond); at.Before(firstNext); at = at.Add(50 * time.Millisecond) {
		out, _ := p.due(at, 100, gen)
		early += len(out)
		p.release(out)
	}
	for range 2 {
		out, _ := p.due(firstNext, 100, gen)
		for _, f := range out {
			then = append(then, name(f))
		}
	}
	return early, then
}
