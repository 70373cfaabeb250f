package agency

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/batch"
	"github.com/casenode/casenode/node/store"
	bolt "go.etcd.io/bbolt"
)

// maxSendGroup bounds the messages recorded together.
const maxSendGroup = 256

// sendCommitter records sealed messages in groups, in two overlapping
// stages: it queues every message sent while the previous group was being
// queued as one group — its sent records and its outbox entries, to be
// written in one transaction of the node's file (auditlog.Log.AppendWith,
// shared with whatever else is queued meanwhile) — then waits for each
// group to be durable and hands it to the publisher in order. Concurrent
// senders thus share one commit, and a message is in the outbox exactly
// when its sent record is in the audit log.
type sendCommitter struct {
	n       *Node
	mu      sync.RWMutex // guards closed and sending on queue
	closed  bool
	queue   chan *pendingSend
	audited chan *sendGroup
	done    chan struct{}
	// ctx ends when the node closes: writes that failed for want of space
	// are not tried again.
	ctx    context.Context
	cancel context.CancelFunc
}

// sendGroup is a group of messages being committed.
type sendGroup struct {
	ps      []*pendingSend
	commit  *auditlog.Pending
	entries []auditlog.Entry // to append again after a full disk
	queued  time.Time
}

// pendingSend is a sealed message on its way into the audit log and the
// outbox.
type pendingSend struct {
	actor string
	raw   []byte
	entry *store.OutboxEntry
	// attach is the record of its attachments, to upload before it is
	// published; nil when it has none.
	attach *store.AttachJob
	err    error
	done   chan struct{}
}

// errClosed reports a Send on a closed node.
var errClosed = errors.New("the node is closed")

func newSendCommitter(n *Node) *sendCommitter {
	c := &sendCommitter{n: n, queue: make(chan *pendingSend, maxSendGroup), audited: make(chan *sendGroup, maxSendGroup), done: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.record()
	go c.store()
	return c
}

// commit queues p and waits until it is durable: in the audit log, in the
// outbox and queued for publication. If ctx ends first the message may
// still be recorded and sent.
func (c *sendCommitter) commit(ctx context.Context, p *pendingSend) error {
	p.done = make(chan struct{})
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	c.queue <- p
	c.mu.RUnlock()
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// record is the first stage: it gathers what is queued and queues it for
// the node's file.
func (c *sendCommitter) record() {
	defer close(c.audited)
	for p := range c.queue {
		group := batch.Drain([]*pendingSend{p}, c.queue, maxSendGroup)
		entries := make([]auditlog.Entry, len(group))
		for i, p := range group {
			entries[i] = auditlog.Entry{Type: auditlog.TypeSent, Actor: p.actor, MessageID: p.entry.Header.ID, Payload: p.raw}
		}
		g := &sendGroup{ps: group, entries: entries, queued: c.n.o.Now()}
		g.commit = c.n.audit.AppendWithFirst(g.write(c.n), entries...)
		c.audited <- g
	}
}

// write writes a group's outbox entries in the transaction that appends
// its sent records, whose sequence numbers start at first: each entry
// names its message's record, whose payload is the sealed message, instead
// of the store keeping a copy of it.
func (g *sendGroup) write(n *Node) func(btx *bolt.Tx, first int64) error {
	return func(btx *bolt.Tx, first int64) error {
		return n.store.Apply(btx, func(tx *store.Tx) error {
			for i, p := range g.ps {
				p.entry.Copies = nil
				seq := first + int64(i)
				p.entry.SentRecord = &seq
				if err := tx.AddOutbox(p.entry, nil); err != nil {
					return err
				}
				if p.attach != nil {
					if err := tx.PutAttachJob(p.attach); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
}

// store is the second stage: it waits for each group to be durable, in
// order, and answers its senders. A commit that failed for want of space
// is tried again until it succeeds or the node closes (see persist): the
// senders wait.
func (c *sendCommitter) store() {
	defer close(c.done)
	n := c.n
	for g := range c.audited {
		var err error
		for attempt := 0; ; attempt++ {
			_, err = g.commit.Wait(context.Background())
			if err == nil {
				break
			}
			if !n.writes.retry(c.ctx, n, "the audit log and the store", err, attempt, nil) {
				err = fmt.Errorf("record in the audit log and the outbox: %w", err)
				break
			}
			g.commit = n.audit.AppendWithFirst(g.write(n), g.entries...)
		}
		if err == nil {
			n.writes.ok(n)
			n.observeCommit("send", g.queued)
		}
		for _, p := range g.ps {
			if err == nil {
				n.counts.add(&n.counts.c.Sent, string(p.entry.Header.MsgType))
				n.pub.addMessage(p.entry, p.raw, p.attach != nil)
				if p.attach != nil {
					n.xfer.wake()
				}
			}
			p.err = err
			close(p.done)
		}
	}
}

// close stops the committer once the messages queued are written.
func (c *sendCommitter) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.queue)
	c.mu.Unlock()
	c.cancel()
	<-c.done
}
