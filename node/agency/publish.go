package agency

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// run publishes until ctx ends. It waits while the hub is unreachable, and
// while this agency is not active in the roster in force: the hub lets a
// revoked agency read the roster and nothing else.
func (p *publisher) run(ctx context.Context, js jetstream.JetStream) {
	p.reset()
	sem := make(chan struct{}, p.n.o.MaxInFlight)
	flights := make(chan *flight, p.n.o.MaxInFlight)
	quit := make(chan struct{})
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		p.collect(flights, sem, quit)
	}()
	defer func() {
		close(flights)
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(2 * time.Second):
		}
		close(quit)
		<-collected
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		online, changed := p.n.hub.watch()
		gen, _ := p.n.hub.generation()
		if room := p.win.size(p.n.o.Now()) - len(sem); online && !p.n.inactive() && room > 0 {
			fs, wake := p.due(p.n.o.Now(), room, gen)
			for i, f := range fs {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					p.release(fs[i:])
					return
				}
				f.at, f.gen = p.n.o.Now(), gen
				if f.fut, f.err = p.publish(js, f); f.err != nil {
					<-sem
					p.settle([]*flight{f})
					p.release(fs[i+1:])
					break
				}
				flights <- f
			}
			if !wake.IsZero() {
				timer.Reset(max(wake.Sub(p.n.o.Now()), time.Millisecond))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		case <-timer.C:
		case <-changed:
		}
	}
}

// publish hands one copy or receipt to the connection.
func (p *publisher) publish(js jetstream.JetStream, f *flight) (jetstream.PubAckFuture, error) {
	var m *nats.Msg
	var msgID string
	if f.c != nil {
		m = &nats.Msg{Subject: f.c.subject, Data: f.c.raw}
		msgID = protocol.PublishID(f.c.key.id, f.c.key.to)
	} else {
		m = &nats.Msg{Subject: f.r.subject, Data: f.r.q.JWS}
		msgID = protocol.PublishID(f.r.q.ID, f.r.q.To)
	}
	return js.PublishMsgAsync(m, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(protocol.StreamName(p.n.cfg.Network)))
}

// settleDelay is how long the hub's answers wait to be written to the
// store: they only update what status shows and avoid needless
// republication after a restart, so they are written in groups, sparing
// the store's syncs for what must be durable at once.
const settleDelay = 100 * time.Millisecond

// collect waits for the hub's answers in publication order and settles
// them in batches: a batch is written when it is full or settleDelay after
// its first answer.
func (p *publisher) collect(flights <-chan *flight, sem <-chan struct{}, quit <-chan struct{}) {
	const maxBatch = 1024
	var batch []*flight
	var flushC <-chan time.Time
	flush := func() {
		if len(batch) > 0 {
			p.settle(batch)
			batch = nil
		}
		flushC = nil
	}
	defer flush()
	for {
		var f *flight
		var ok bool
		select {
		case f, ok = <-flights:
		case <-flushC:
			flush()
			continue
		case <-quit:
			return
		}
		if !ok {
			return
		}
	wait:
		for {
			_, changed := p.n.hub.watch()
			if gen, _ := p.n.hub.generation(); gen != f.gen {
				// The connection that carried it is gone: its
				// acknowledgement cannot come.
				f.err = errConnectionGone
				break wait
			}
			select {
			case f.ack = <-f.fut.Ok():
				break wait
			case f.err = <-f.fut.Err():
				break wait
			case <-changed:
			case <-flushC:
				flush()
			case <-quit:
				<-sem
				p.release([]*flight{f})
				return
			}
		}
		<-sem
		batch = append(batch, f)
		if f.err != nil || len(batch) >= maxBatch {
			flush()
		} else if flushC == nil {
			flushC = time.After(settleDelay)
		}
	}
}

// settle records the hub's answers: relayed copies and receipts the hub
// has in the store, then the next publication of each in memory.
func (p *publisher) settle(fs []*flight) {
	now := p.n.o.Now()
	p.n.recordLater("cannot record the hub's acknowledgements; the copies will be published again", func(tx *store.Tx) error {
		for _, f := range fs {
			if f.r != nil {
				if f.err == nil {
					if err := tx.DequeueReceipt(f.r.q.Seq); err != nil {
						return err
					}
				}
				continue
			}
			_, err := tx.UpdateCopy(f.c.key.id, f.c.key.to, func(c *store.Copy) bool {
				at := f.at
				c.Attempts, c.LastAttempt = max(c.Attempts, f.attempts), &at
				if f.err == nil {
					c.Advance(store.CopyRelayed, "", now)
				}
				return true
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	var failed int
	var lastErr error
	for _, f := range fs {
		limit := overLimit(f.err)
		if limit == nil && f.err != nil {
			continue
		}
		if p.n.hub.noteLimit(limit, now) {
			if limit != nil {
				p.n.log.Error("the hub refuses this agency's publications: it is over its limits at the hub; they wait in the outbox and go again", "err", limit)
			} else {
				p.n.log.Info("the hub takes this agency's publications again")
			}
		}
	}
	p.mu.Lock()
	for _, f := range fs {
		if f.err == nil {
			p.win.acked(now)
		}
		if f.err != nil {
			failed++
			lastErr = f.err
		}
		if f.r != nil {
			f.r.inflight = false
			switch {
			case f.err == nil:
				f.r.done = true
				p.finished++
			case f.err != nil && p.late(f):
				f.r.lateOn, f.r.next, f.r.refusedOn = f.gen, now.Add(p.n.o.ReceiptTimeout), 0
			case f.err != nil:
				f.r.refusedOn = 0
				if earlierFirst(f.err) {
					f.r.refusedOn = f.gen
					p.retryLate(f.r.q.To, f.gen, now)
				}
				f.r.fails++
				f.r.next = now.Add(p.retryDelay(f.err, f.r.fails))
			}
			continue
		}
		c := f.c
		c.inflight = false
		p.inflight--
		if c.done {
			continue
		}
		if f.err != nil && p.late(f) {
			// The connection that carried it is still there: the copy
			// is on its way or stored, and the hub's answer or the
			// receipt will say so. It goes again only once that
			// connection is gone, after the receipt timeout, or when
			// the hub says an earlier copy was not stored.
			c.lateOn = f.gen
			c.next = now.Add(p.n.o.ReceiptTimeout)
			c.refusedOn = 0
			continue
		}
		if f.err != nil {
			// The copies after it wait until it goes again (due).
			p.fenced = true
			c.refusedOn = 0
			if earlierFirst(f.err) {
				c.refusedOn = f.gen
				p.retryLate(c.key.to, f.gen, now)
			}
		}
		if f.err != nil {
			c.fails++
			c.next = now.Add(p.retryDelay(f.err, c.fails))
			continue
		}
		c.fails, c.refusedOn = 0, 0
		if c.relayed {
			c.resends++
		}
		c.relayed = true
		c.next = now.Add(min(p.n.o.ReceiptTimeout<<min(c.resends, 20), MaxReceiptTimeout))
	}
	p.mu.Unlock()
	if failed > 0 {
		p.n.log.Warn("publications not acknowledged by the hub; they will be published again", "count", failed, "err", lastErr)
	}
	p.wake()
}

// overLimit returns the hub's refusal for being over one of this agency's
// limits, as the hub worded it, or nil if err is not one.
func overLimit(err error) error {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != protocol.HubOverLimitCode {
		return nil
	}
	return errors.New(strings.TrimPrefix(apiErr.Description, "casenode hub: "))
}

// errConnectionGone fails a publication whose connection closed before
// the hub answered it.
var errConnectionGone = errors.New("the connection that carried the publication is gone")

// retryLate makes the copies and receipts to recipient whose
// acknowledgement was late on connection gen due at once: the hub refused
// a later publication to that recipient because an earlier one was not
// stored. Receipts too: the hub orders them with the copies of the same
// sender and recipient, and a receipt left late would hold back every
// later publication to that recipient for the receipt timeout. p.mu is
// held.
func (p *publisher) retryLate(recipient string, gen uint64, now time.Time) {
	for _, c := range p.copies {
		if c.lateOn == gen && c.key.to == recipient && !c.done {
			c.lateOn, c.next = 0, now
		}
	}
	for _, r := range p.receipts {
		if r.lateOn == gen && r.q.To == recipient && !r.done {
			r.lateOn, r.next = 0, now
		}
	}
}

// earlierFirst reports whether err is the hub's refusal of a publication
// behind an earlier one of the same recipient that was not stored.
func earlierFirst(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.Code == protocol.HubEarlierFirstCode
}

// late reports whether f failed only because its acknowledgement is late
// while the connection that carried it is still open: the hub may yet
// answer, or has stored it and the receipt will come.
func (p *publisher) late(f *flight) bool {
	if !errors.Is(f.err, jetstream.ErrAsyncPublishTimeout) {
		return false
	}
	gen, _ := p.n.hub.generation()
	return gen == f.gen
}

// retryDelay is how long a failed publication waits: hardly at all when
// the connection dropped, the acknowledgement timed out (it goes again
// once the hub is back) or the hub refused it behind an earlier one that
// failed, else a delay that doubles up to the resend timeout.
func (p *publisher) retryDelay(err error, fails int) time.Duration {
	if errors.Is(err, errConnectionGone) || errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, jetstream.ErrAsyncPublishTimeout) || earlierFirst(err) {
		return 100 * time.Millisecond
	}
	return min(time.Second<<min(fails-1, 20), time.Duration(p.n.cfg.ResendTimeout))
}
