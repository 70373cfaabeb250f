package auditlog

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// StoreBucket is the top-level bucket of a node's file that holds the
// node's store (package store), beside the audit log's buckets: one bbolt
// file per node, so that a message and its audit records are durable in
// one commit. Verify ignores it, Snapshot leaves it out, and Restart
// carries it over into the new log's file.
const StoreBucket = "node"

// AppendWith queues entries (there may be none) to be appended in one
// transaction together with fn, which writes the host's data — the node's
// store, in StoreBucket — in that same transaction: the records and what
// fn wrote are durable together, or neither is. fn may run more than once
// (the transaction is written again without a neighbour that failed), so
// it must have no effect outside tx, and it must not touch the log's
// buckets. If fn fails, nothing of the Pending is written and it fails
// with fn's error. The payloads must not be modified until the Pending is
// done.
func (l *Log) AppendWith(fn func(tx *bolt.Tx) error, entries ...Entry) *Pending {
	if fn == nil {
		return l.AppendWithFirst(nil, entries...)
	}
	return l.AppendWithFirst(func(tx *bolt.Tx, _ int64) error { return fn(tx) }, entries...)
}

// AppendWithFirst is AppendWith for a host that refers to the records it
// appends: fn is told the sequence number the first entry gets (the others
// follow it), so that the host's data can name a record — and read its
// payload later (SentPayload) rather than keep a copy of it.
func (l *Log) AppendWithFirst(fn func(tx *bolt.Tx, first int64) error, entries ...Entry) *Pending {
	if len(entries) == 0 && fn != nil {
		return l.enqueueWith(func(tx *bolt.Tx, _ int64) error { return fn(tx, -1) }, false)
	}
	p := &Pending{entries: entries, with: fn, done: make(chan struct{})}
	if len(entries) == 0 {
		p.err = fmt.Errorf("append: no entries")
		close(p.done)
		return p
	}
	for i := range entries {
		if err := entries[i].validate(l.opts.Card); err != nil {
			p.err = fmt.Errorf("append: %w", err)
			close(p.done)
			return p
		}
	}
	return l.enqueue(p)
}

// Commit runs fn in a write transaction of the log's file shared with the
// appends and the functions queued meanwhile, and returns once that
// transaction is durable, or with fn's error (see AppendWith). It works on
// a log that failed or that Open held: the host's data lives on.
func (l *Log) Commit(fn func(tx *bolt.Tx) error) error {
	_, err := l.enqueueWith(hostOnly(fn), false).Wait(context.Background())
	return err
}

// LaterDelay bounds how long a function given to CommitLater waits for a
// transaction to share.
const LaterDelay = time.Second

// CommitLater is Commit for a write nothing waits on, and that nothing
// acknowledges on its strength (the hub's acknowledgements of the node's
// publications: were they lost, the node would publish again and the hub
// and the recipient take the copy as the duplicate it is): fn runs in the
// next transaction the log commits for another reason, or in one of its
// own after at most LaterDelay, and the Pending is done then. A node that
// sends and receives a few messages a second thus makes one commit where
// it made two, each with its fsync, and rewrites its pages once.
func (l *Log) CommitLater(fn func(tx *bolt.Tx) error) *Pending {
	return l.enqueueWith(hostOnly(fn), true)
}

// hostOnly adapts a host function that appends no record.
func hostOnly(fn func(tx *bolt.Tx) error) func(tx *bolt.Tx, first int64) error {
	return func(tx *bolt.Tx, _ int64) error { return fn(tx) }
}

// enqueueWith queues a host function without records, even on a failed
// log; only a closed one refuses it.
func (l *Log) enqueueWith(fn func(tx *bolt.Tx, first int64) error, later bool) *Pending {
	p := &Pending{with: fn, later: later, done: make(chan struct{})}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		p.err = ErrClosed
		close(p.done)
		return p
	}
	l.queue <- p
	return p
}

// DB returns the bbolt database of the log's file, for the node's store
// that shares it: the store reads in its own transactions and writes only
// its bucket, StoreBucket, through Commit or AppendWith (or, off the
// message path, in a transaction of its own), never the log's buckets.
func (l *Log) DB() *bolt.DB { return l.db }
