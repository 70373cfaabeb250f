package agency

import (
	"fmt"
	"sync"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// publisher publishes what the node has to send: the copies of sent
// messages, one per recipient, in the order they were sent, and the
// receipts the node signed. It keeps a copy pending until the recipient's
// receipt comes back, and publishes it again, with the same Nats-Msg-Id,
// when the hub did not take it (the connection that carried it is gone
// before the hub acknowledged it, the hub refused it for now, or its
// acknowledgement did not come within resend_timeout), or the receipt does
// not come within the receipt timeout. The publications in flight are
// bounded by the throughput the hub acknowledged (flow.go).
//
// The copies to one recipient reach the hub in sending order: a copy is
// published only once every earlier copy to the same recipient is in
// flight, acknowledged, or late on the connection that carries it, and
// when a copy fails, nothing more is published until every copy in flight
// has its answer; those not acknowledged then go again, in sending order
// (the hub's ingest stores a pair's messages from one connection in that
// order, and refuses the later ones after one fails: node/hub,
// ingestorder.go). A copy whose acknowledgement is late is not published
// again on the connection that carries it, where the hub's answer can
// still come (a slow link would carry it twice): it goes again, before
// the later ones, once that connection is gone, or at once when the hub
// refuses a later copy to the same recipient because an earlier one was
// not stored. A copy or receipt the hub refused that way goes again no
// sooner than the earliest publication to the same recipient that failed
// otherwise, and after it (behindFailed). Copies that wait for their
// attachments do not hold back later ones.
type publisher struct {
	n    *Node
	kick chan struct{}
	win  window

	mu       sync.Mutex
	copies   []*outCopy // in sending order
	index    map[copyKey]*outCopy
	receipts []*outReceipt // in queue order
	finished int           // done entries still in the slices
	inflight int           // copies in flight
	// fenced: a copy failed; no copy is published until none is in
	// flight.
	fenced bool
	gen    uint64 // the connection of the last publications
}

type copyKey struct{ id, to string }

// outCopy is a copy of a sent message for one recipient.
type outCopy struct {
	key      copyKey
	subject  string
	raw      []byte // shared by the copies of one message
	next     time.Time
	attempts int
	relayed  bool
	resends  int // publications since the hub first acknowledged it
	fails    int // failed publications in a row
	inflight bool
	done     bool
	// held: the message's attachments are not all at the hub yet.
	held bool
	// lateOn is the connection whose acknowledgement of this copy came
	// late: the copy is not published again on it (a slow link would
	// carry it twice), and the later ones go on behind it there, where
	// the hub keeps their order.
	lateOn uint64
	// refusedOn is the connection on which the hub refused its last
	// publication behind an earlier one to the same recipient that was
	// not stored (409); 0 if it did not. The hub's fence holds on that
	// connection only.
	refusedOn uint64
}

// outReceipt is a receipt waiting for the hub.
type outReceipt struct {
	q         *store.QueuedReceipt
	subject   string
	next      time.Time
	fails     int
	inflight  bool
	done      bool
	lateOn    uint64 // as outCopy.lateOn
	refusedOn uint64 // as outCopy.refusedOn
}

// flight is one publication waiting for the hub's acknowledgement.
type flight struct {
	c        *outCopy
	r        *outReceipt
	attempts int
	at       time.Time
	gen      uint64 // the connection that carried it
	fut      jetstream.PubAckFuture
	err      error
	ack      *jetstream.PubAck
}

// newPublisher loads what is still to be published from the store.
func newPublisher(n *Node) (*publisher, error) {
	p := &publisher{n: n, kick: make(chan struct{}, 1), index: map[copyKey]*outCopy{}, win: newWindow(n.o.MaxInFlight)}
	now := n.o.Now()
	err := n.store.View(func(tx *store.Tx) error {
		pending, err := tx.ListOutbox(store.OutboxFilter{Pending: true})
		if err != nil {
			return err
		}
		for _, e := range pending {
			raw, err := n.sealedSent(tx, e)
			if err != nil {
				// Nothing to publish: the copies stay queued, in the
				// status, and the error in the log.
				n.log.Error("a queued message cannot be published", "id", e.Header.ID, "err", err)
				continue
			}
			for _, to := range e.Recipients() {
				c := e.Copies[to]
				if c.State.Final() {
					continue
				}
				oc := &outCopy{key: copyKey{e.Header.ID, to}, subject: protocol.IngestSubject(n.cfg.Network, n.cfg.Agency, to, e.Header.MsgType),
					raw: raw, next: now, attempts: c.Attempts}
				if j, err := tx.AttachJob(store.DirectionOut, e.Header.ID); err != nil {
					return err
				} else if j != nil && !j.Complete() {
					oc.held = true
				}
				if c.State == store.CopyRelayed && c.Relayed != nil {
					oc.relayed = true
					oc.next = c.Relayed.Add(n.o.ReceiptTimeout)
				}
				p.copies = append(p.copies, oc)
				p.index[oc.key] = oc
			}
		}
		queued, err := tx.QueuedReceipts()
		for _, q := range queued {
			p.receipts = append(p.receipts, p.newReceipt(q, now))
		}
		return err
	})
	return p, err
}

func (p *publisher) newReceipt(q *store.QueuedReceipt, now time.Time) *outReceipt {
	return &outReceipt{q: q, subject: protocol.IngestSubject(p.n.cfg.Network, p.n.cfg.Agency, q.To, protocol.TypeReceipt), next: now}
}

func (p *publisher) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// addMessage queues the copies of a message just recorded; held ones wait
// for unhold.
func (p *publisher) addMessage(e *store.OutboxEntry, raw []byte, held bool) {
	now := p.n.o.Now()
	p.mu.Lock()
	for _, to := range e.Recipients() {
		c := &outCopy{key: copyKey{e.Header.ID, to}, subject: protocol.IngestSubject(p.n.cfg.Network, p.n.cfg.Agency, to, e.Header.MsgType), raw: raw, next: now, held: held}
		p.copies = append(p.copies, c)
		p.index[c.key] = c
	}
	p.mu.Unlock()
	p.wake()
}

// unhold lets the copies of message id go: its attachments are at the hub.
func (p *publisher) unhold(id string) {
	now := p.n.o.Now()
	p.mu.Lock()
	for _, c := range p.copies {
		if c.key.id == id && c.held {
			c.held, c.next = false, now
		}
	}
	p.mu.Unlock()
	p.wake()
}

// addReceipts queues receipts just recorded.
func (p *publisher) addReceipts(qs []*store.QueuedReceipt) {
	if len(qs) == 0 {
		return
	}
	now := p.n.o.Now()
	p.mu.Lock()
	for _, q := range qs {
		p.receipts = append(p.receipts, p.newReceipt(q, now))
	}
	p.mu.Unlock()
	p.wake()
}

// resolve drops a copy whose recipient answered.
func (p *publisher) resolve(id, to string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.index[copyKey{id, to}]; c != nil {
		c.done = true
		delete(p.index, c.key)
		p.finished++
	}
}

// due marks and returns what is to be published now on connection gen,
// receipts first, and the time of the next publication after that.
func (p *publisher) due(now time.Time, max int, gen uint64) (out []*flight, wake time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.compact()
	failedAt, failedDue := p.behindFailed(now)
	consider := func(next time.Time) bool {
		if !next.After(now) && len(out) < max {
			return true
		}
		if wake.IsZero() || next.Before(wake) {
			wake = next
		}
		return false
	}
	// A receipt refused behind one that failed and is due now, not yet
	// published, waits for the round after it (copies go after the
	// receipts). It looks again in a while: the one it waits for can also
	// end without going again (its recipient's receipt came), which
	// wakes nothing.
	for _, r := range p.receipts {
		if r.lateOn != 0 && r.lateOn != gen {
			r.lateOn, r.next = 0, now
		}
		if r.done || r.inflight {
			continue
		}
		next := r.next
		if r.refusedOn != 0 && r.refusedOn == gen {
			if failedDue[r.q.To] > 0 {
				consider(now.Add(100 * time.Millisecond))
				continue
			}
			next = later(next, failedAt, r.q.To)
		}
		if consider(next) {
			if r.failed() && failedDue[r.q.To] > 0 {
				failedDue[r.q.To]--
			}
			r.inflight = true
			out = append(out, &flight{r: r})
		}
	}
	if gen != p.gen {
		// The copies in flight went on a connection that is gone: they
		// fail too, their answers cannot come any more.
		p.fenced = p.fenced || p.inflight > 0
		p.gen = gen
	}
	if p.fenced && p.inflight > 0 {
		// A copy failed: the copies still in flight may fail too, and
		// go again before anything later.
		return out, wake
	}
	p.fenced = false
	// blocked: recipients with a copy not acknowledged and not due yet,
	// which the later copies to them wait for.
	var blocked map[string]bool
	for _, c := range p.copies {
		if c.lateOn != 0 && c.lateOn != gen {
			// The connection that was late is gone: its
			// acknowledgement cannot come any more.
			c.lateOn, c.next = 0, now
		}
		if c.done || c.inflight || c.held || c.lateOn != 0 || !c.relayed && blocked[c.key.to] {
			continue
		}
		next := c.next
		if c.refusedOn != 0 && c.refusedOn == gen {
			next = later(next, failedAt, c.key.to)
		}
		if consider(next) {
			if c.failed() && failedDue[c.key.to] > 0 {
				failedDue[c.key.to]--
			}
			c.inflight = true
			c.attempts++
			p.inflight++
			out = append(out, &flight{c: c, attempts: c.attempts})
			continue
		}
		if !c.relayed {
			if blocked == nil {
				blocked = map[string]bool{}
			}
			blocked[c.key.to] = true
		}
	}
	return out, wake
}

// behindFailed returns, per recipient, when the earliest publication that
// failed otherwise than with the hub's 409 goes again, and how many of
// those are due now. The hub's fence refuses the later publications to
// that recipient until the one it waits for comes again: the ones it
// refused (409) go again no earlier than that, behind it. Each went again
// every 100 ms before, thousands of refusals in a few seconds during a
// cluster's failover (seen in TestProcessCluster). A publication late on
// the connection that carries it counts for nothing: the hub's refusal
// makes it due at once (retryLate). p.mu is held.
func (p *publisher) behindFailed(now time.Time) (at map[string]time.Time, dueNow map[string]int) {
	note := func(to string, next time.Time) {
		if at == nil {
			at, dueNow = map[string]time.Time{}, map[string]int{}
		}
		if t, ok := at[to]; !ok || next.Before(t) {
			at[to] = next
		}
		if !next.After(now) {
			dueNow[to]++
		}
	}
	for _, r := range p.receipts {
		if r.failed() {
			note(r.q.To, r.next)
		}
	}
	for _, c := range p.copies {
		if c.failed() {
			note(c.key.to, c.next)
		}
	}
	return at, dueNow
}

// later returns next, or the time in at of recipient to if that is later.
func later(next time.Time, at map[string]time.Time, to string) time.Time {
	if t, ok := at[to]; ok && t.After(next) {
		return t
	}
	return next
}

// failed reports whether r's last publication failed otherwise than with
// the hub's 409 and waits to go again.
func (r *outReceipt) failed() bool {
	return r.fails > 0 && r.refusedOn == 0 && !r.done && !r.inflight && r.lateOn == 0
}

// failed reports whether c's last publication failed otherwise than with
// the hub's 409 and waits to go again.
func (c *outCopy) failed() bool {
	return c.fails > 0 && c.refusedOn == 0 && !c.done && !c.inflight && !c.held && c.lateOn == 0
}

// compact drops finished entries once they are many.
func (p *publisher) compact() {
	if p.finished < 64 || p.finished < (len(p.copies)+len(p.receipts))/2 {
		return
	}
	copies := p.copies[:0]
	for _, c := range p.copies {
		if !c.done {
			copies = append(copies, c)
		}
	}
	clear(p.copies[len(copies):])
	p.copies = copies
	receipts := p.receipts[:0]
	for _, r := range p.receipts {
		if !r.done {
			receipts = append(receipts, r)
		}
	}
	clear(p.receipts[len(receipts):])
	p.receipts = receipts
	p.finished = 0
}

// reset forgets the publications of an earlier run that never got an
// answer: nothing is in flight when a run starts.
func (p *publisher) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.copies {
		c.inflight = false
	}
	p.inflight, p.fenced = 0, false
	for _, r := range p.receipts {
		r.inflight = false
	}
}

// release returns flights that were never published to the queue.
func (p *publisher) release(fs []*flight) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range fs {
		if f.c != nil {
			f.c.inflight = false
			f.c.attempts--
			p.inflight--
		} else {
			f.r.inflight = false
		}
	}
}

// sealedSent returns the sealed bytes of e, a message in the outbox: the
// payload of its sent record in the audit log, which it names, or, for an
// entry of an earlier store format or of a log started over, the copy the
// store keeps.
func (n *Node) sealedSent(tx *store.Tx, e *store.OutboxEntry) ([]byte, error) {
	if e.SentRecord == nil {
		raw := tx.OutboxRaw(e.Header.ID)
		if raw == nil {
			return nil, fmt.Errorf("outbox: the sealed bytes of message %s are missing", e.Header.ID)
		}
		return raw, nil
	}
	raw, err := auditlog.SentPayload(tx.Bolt(), *e.SentRecord, e.Header.ID, e.Hash)
	if err != nil {
		return nil, fmt.Errorf("outbox: message %s: %w", e.Header.ID, err)
	}
	return raw, nil
}
