package agency

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/batch"
	"github.com/casenode/casenode/node/store"
)

// maxSendGroup bounds the messages recorded together.
const maxSendGroup = 256

// sendCommitter records sealed messages in groups, in two overlapping
// stages: it queues the audit records of every message sent while the
// previous group was being queued, then writes the group to the outbox,
// with the records as an audit intent, while the audit log commits them,
// and once both are durable hands the group to the publisher in order.
// Concurrent senders thus share the syncs of both files, and the two
// files sync at the same time rather than one after the other.
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

// sendGroup is a group of messages whose audit records are queued.
type sendGroup struct {
	ps      []*pendingSend
	audit   *auditlog.Pending
	entries []auditlog.Entry // to append again after a full disk
	intent  *store.AuditIntent
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

// record is the first stage: it gathers what is queued and queues its
// audit records.
func (c *sendCommitter) record() {
	defer close(c.audited)
	for p := range c.queue {
		group := batch.Drain([]*pendingSend{p}, c.queue, maxSendGroup)
		entries := make([]auditlog.Entry, len(group))
		for i, p := range group {
			entries[i] = auditlog.Entry{Type: auditlog.TypeSent, Actor: p.actor, MessageID: p.entry.Header.ID, Payload: p.raw}
		}
		pending, intent := c.n.queueAudit(entries)
		c.audited <- &sendGroup{ps: group, audit: pending, entries: entries, intent: intent}
	}
}

// store is the second stage: it writes the groups queued so far to the
// outbox in one transaction, with their audit intents, while the audit log
// commits the groups' records; once both are durable it hands the groups
// to the publisher, in order. Taking every group queued, not one at a
// time, keeps the outbox's syncs from falling behind when groups are small.
// If the audit log fails, the messages stay in the outbox, unpublished:
// the intent has the node append their records when it opens again, and
// only then send them. The sender is told.
func (c *sendCommitter) store() {
	defer close(c.done)
	for g := range c.audited {
		c.storeGroups(batch.Drain([]*sendGroup{g}, c.audited, 0))
	}
}

// storeGroups writes groups to the outbox and answers their senders. A
// write that fails for want of space is tried again until it succeeds or
// the node closes (see persist): the senders wait.
func (c *sendCommitter) storeGroups(groups []*sendGroup) {
	n := c.n
	var err error
	start := n.o.Now()
	for attempt := 0; ; attempt++ {
		settled := n.intents.take()
		err = n.store.Commit(func(tx *store.Tx) error {
			if err := recordIntents(tx, settled); err != nil {
				return err
			}
			// Sent records before this first group's are all in the outbox
			// now: a crash can only have left later ones without theirs.
			if err := tx.SetSentMark(groups[0].intent.From); err != nil {
				return err
			}
			for _, g := range groups {
				if err := recordIntents(tx, nil, g.intent); err != nil {
					return err
				}
				for _, p := range g.ps {
					p.entry.Copies = nil
					if err := tx.AddOutbox(p.entry, p.raw); err != nil {
						return err
					}
					if p.attach != nil {
						if err := tx.PutAttachJob(p.attach); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err == nil {
			break
		}
		n.intents.settle(settled...)
		if !n.writes.retry(c.ctx, n, "the outbox", err, attempt, nil) {
			err = fmt.Errorf("record in the outbox: %w", err)
			break
		}
	}
	for _, g := range groups {
		gerr := err
		if gerr == nil {
			for attempt := 0; ; attempt++ {
				_, aerr := g.audit.Wait(context.Background())
				if aerr == nil {
					break
				}
				if !n.writes.retry(c.ctx, n, "the audit log", aerr, attempt, nil) {
					gerr = fmt.Errorf("record in the audit log: %w (the message stays in the outbox and is recorded and sent when the node is restarted)", aerr)
					break
				}
				g.audit = n.audit.AppendAsync(g.entries...)
			}
		} else {
			g.audit.Wait(context.Background())
		}
		if gerr == nil {
			n.intents.settle(g.intent.Seq)
			n.writes.ok(n)
		}
		if gerr == nil {
			n.observeCommit("send", start)
		}
		for _, p := range g.ps {
			if gerr == nil {
				n.counts.add(&n.counts.c.Sent, string(p.entry.Header.MsgType))
				n.pub.addMessage(p.entry, p.raw, p.attach != nil)
				if p.attach != nil {
					n.xfer.wake()
				}
			}
			p.err = gerr
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
