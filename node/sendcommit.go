package node

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
)

// maxSendGroup bounds the messages recorded together.
const maxSendGroup = 256

// sendCommitter records sealed messages in groups, in two overlapping
// stages: it queues the audit records of every message sent while the
// previous group was being queued, then, once they are durable, writes the
// group to the outbox and hands it to the publisher in order, while the
// next group's audit records are being written. Concurrent senders thus
// share the syncs of both files, and neither waits for the other's.
type sendCommitter struct {
	n       *Node
	mu      sync.RWMutex // guards closed and sending on queue
	closed  bool
	queue   chan *pendingSend
	audited chan []*pendingSend
	done    chan struct{}
}

// pendingSend is a sealed message on its way into the audit log and the
// outbox.
type pendingSend struct {
	actor string
	raw   []byte
	entry *store.OutboxEntry
	audit *auditlog.Pending
	err   error
	done  chan struct{}
}

// errClosed reports a Send on a closed node.
var errClosed = errors.New("the node is closed")

func newSendCommitter(n *Node) *sendCommitter {
	c := &sendCommitter{n: n, queue: make(chan *pendingSend, maxSendGroup), audited: make(chan []*pendingSend, 4), done: make(chan struct{})}
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
		group := []*pendingSend{p}
	gather:
		for len(group) < maxSendGroup {
			select {
			case q, ok := <-c.queue:
				if !ok {
					break gather
				}
				group = append(group, q)
			default:
				break gather
			}
		}
		entries := make([]auditlog.Entry, len(group))
		for i, p := range group {
			entries[i] = auditlog.Entry{Type: auditlog.TypeSent, Actor: p.actor, MessageID: p.entry.Header.ID, Payload: p.raw}
		}
		pending := c.n.audit.AppendAsync(entries...)
		for _, p := range group {
			p.audit = pending
		}
		c.audited <- group
	}
}

// store is the second stage: once a group's audit records are durable, it
// writes the group to the outbox and hands it to the publisher, in order.
func (c *sendCommitter) store() {
	defer close(c.done)
	for group := range c.audited {
		n := c.n
		_, err := group[0].audit.Wait(nil)
		if err != nil {
			err = fmt.Errorf("record in the audit log: %w", err)
		} else {
			err = n.store.Commit(func(tx *store.Tx) error {
				for _, p := range group {
					p.entry.Copies = nil
					if err := tx.AddOutbox(p.entry, p.raw); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				err = fmt.Errorf("record in the outbox: %w", err)
			}
		}
		for _, p := range group {
			if err == nil {
				n.pub.addMessage(p.entry, p.raw)
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
	<-c.done
}
