package agency

import (
	"context"
	"maps"
	"sync"
	"time"
)

// Counters are the node's counts of what it did since it opened, for its
// metrics (package node/metrics): they start at zero at each start, as
// Prometheus counters do.
type Counters struct {
	// Sent counts the messages sent (durable in the outbox), by type.
	Sent map[string]uint64
	// Received counts the messages accepted into the inbox, by type.
	Received map[string]uint64
	// Rejected counts the inputs refused, by reason code.
	Rejected map[string]uint64
	// Receipts counts the receipts taken for the outbox's copies, by kind
	// (delivered, read, rejected).
	Receipts map[string]uint64
	// Connects counts the connections made to the hub, the first one
	// included.
	Connects uint64
}

// counters collects Counters.
type counters struct {
	mu sync.Mutex
	c  Counters
}

func (c *counters) add(m *map[string]uint64, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *m == nil {
		*m = map[string]uint64{}
	}
	(*m)[key]++
}

func (c *counters) connected() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.Connects++
}

// Counters returns a copy of the node's counts.
func (n *Node) Counters() Counters {
	n.counts.mu.Lock()
	defer n.counts.mu.Unlock()
	c := n.counts.c
	c.Sent, c.Received, c.Rejected, c.Receipts = maps.Clone(c.Sent), maps.Clone(c.Received), maps.Clone(c.Rejected), maps.Clone(c.Receipts)
	return c
}

// observeCommit tells Options.ObserveCommit how long a store commit of
// kind took, with the audit log's.
func (n *Node) observeCommit(kind string, start time.Time) {
	if n.o.ObserveCommit != nil {
		n.o.ObserveCommit(kind, n.o.Now().Sub(start))
	}
}

// OldestWaiting returns when the oldest message whose copies are not all
// answered by their recipients was created, or the zero time when none
// waits.
func (n *Node) OldestWaiting() (time.Time, error) {
	items, err := n.Outbox(context.Background(), OutboxQuery{Pending: true, Limit: 1})
	if err != nil || len(items) == 0 {
		return time.Time{}, err
	}
	return items[0].Created, nil
}
