package auditlog

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// Pending is an append in flight: its entries are written together, in
// order, with consecutive sequence numbers, in one transaction.
type Pending struct {
	entries []Entry
	sums    [][sha256.Size]byte // the payloads' SHA-256, computed by the caller's goroutine
	ownCard bool                // the first entry is the log's own card (Open only)
	// with writes the host's data (the node's store) in the transaction
	// that appends the entries, told the sequence number the first entry
	// gets; nil when there is none.
	with func(tx *bolt.Tx, first int64) error
	// later: a host function that waits for a transaction to share
	// (CommitLater).
	later bool
	first int64
	err   error
	done  chan struct{}
}

// Done is closed once the entries are durable or have failed.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Wait waits until the entries are durable and returns the sequence number
// of the first; the others follow it. If ctx ends first, Wait returns its
// error, and the entries may still be written.
func (p *Pending) Wait(ctx context.Context) (first int64, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-p.done:
		return p.first, p.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Append appends one entry and returns its sequence number once it is on
// disk. Appends from concurrent goroutines share transactions and fsyncs.
// e.Payload must not be modified until Append returns.
func (l *Log) Append(ctx context.Context, e Entry) (int64, error) {
	return l.AppendAsync(e).Wait(ctx)
}

// AppendBatch appends entries in one transaction, with consecutive sequence
// numbers, and returns the first once they are on disk.
func (l *Log) AppendBatch(ctx context.Context, entries []Entry) (int64, error) {
	return l.AppendAsync(entries...).Wait(ctx)
}

// AppendAsync queues entries to be appended together and returns at once,
// unless the queue is full. The payloads must not be modified until the
// Pending is done.
func (l *Log) AppendAsync(entries ...Entry) *Pending {
	return l.AppendWith(nil, entries...)
}

// Flush waits until every entry appended before it was called is durable,
// or has failed: a snapshot or a read that follows holds them. It writes
// nothing itself. It returns the log's error if the log has failed.
func (l *Log) Flush(ctx context.Context) error {
	_, err := l.enqueue(&Pending{}).Wait(ctx)
	return err
}

// enqueue hands p to the committer, after hashing the payloads on the
// caller's goroutine, out of the committer's way.
func (l *Log) enqueue(p *Pending) *Pending {
	if p.done == nil {
		p.done = make(chan struct{})
	}
	p.sums = make([][sha256.Size]byte, len(p.entries))
	for i := range p.entries {
		p.sums[i] = sha256.Sum256(p.entries[i].Payload)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if err := l.err(); err != nil {
		p.err = err
		close(p.done)
		return p
	}
	if l.closed {
		p.err = ErrClosed
		close(p.done)
		return p
	}
	l.queue <- p
	return p
}

// run is the committer: it takes whatever is queued, up to MaxBatch
// records, writes it in one transaction (one fsync), together with the
// signed checkpoint of the tree it leaves, and answers every waiter. The
// batching window is the time the previous commit took, never a timer —
// but for the functions of CommitLater, which wait for the next commit,
// or LaterDelay.
func (l *Log) run() {
	defer close(l.done)
	var later []*Pending
	var due <-chan time.Time
	for {
		var p *Pending
		select {
		case q, ok := <-l.queue:
			if !ok {
				if len(later) > 0 {
					l.commit(later)
				}
				return
			}
			p = q
		case <-due:
			l.commit(later)
			later, due = nil, nil
			continue
		}
		batch := l.gather(p)
		if laterOnly(batch) {
			later = append(later, batch...)
			if due == nil {
				due = time.After(LaterDelay)
			}
			continue
		}
		if len(later) > 0 {
			// Queued before this batch: written first, in its
			// transaction.
			batch = append(later, batch...)
			later, due = nil, nil
		}
		if flushesOnly(batch) {
			// Everything queued before them is durable: the previous
			// commit wrote it.
			err := l.err()
			for _, q := range batch {
				q.err = err
				close(q.done)
			}
			continue
		}
		l.commit(batch)
	}
}

// laterOnly reports whether batch holds only functions of CommitLater.
func laterOnly(batch []*Pending) bool {
	for _, p := range batch {
		if !p.later {
			return false
		}
	}
	return true
}

// flushesOnly reports whether batch holds only Flush calls.
func flushesOnly(batch []*Pending) bool {
	for _, p := range batch {
		if len(p.entries) > 0 || p.with != nil {
			return false
		}
	}
	return true
}

// maxYields bounds how many times gather lets writers run before it
// commits what it has.
const maxYields = 8

// gather adds to p what else is queued, up to MaxBatch records.
func (l *Log) gather(p *Pending) []*Pending {
	batch := []*Pending{p}
	n := len(p.entries)
	yields := 0
	for n < l.opts.MaxBatch {
		select {
		case q, ok := <-l.queue:
			if !ok {
				return batch
			}
			batch = append(batch, q)
			n += len(q.entries)
		default:
			// The writers the last commit answered may be about to queue
			// again: let them run, and go on as long as that brings more.
			if yields == maxYields {
				return batch
			}
			yields++
			runtime.Gosched()
			if len(l.queue) == 0 {
				return batch
			}
		}
	}
	return batch
}

// commit writes a batch and the signed checkpoint of the tree it leaves in
// one transaction, together with the batch's host functions (AppendWith,
// Commit), and answers its waiters: no record is ever durable without a
// checkpoint that covers it. The committer's state only advances once the
// transaction is durable; a checkpoint signed in a transaction that failed
// was never stored nor shown to anyone. A host function that fails is
// answered with its error, and the others are written again without it.
// A log that failed takes no record, but its host's functions alone still
// commit: the store lives on.
func (l *Log) commit(batch []*Pending) {
	if err := l.err(); err != nil {
		kept := batch[:0:0]
		for _, p := range batch {
			if len(p.entries) > 0 {
				p.err = err
				close(p.done)
			} else {
				kept = append(kept, p)
			}
		}
		batch = kept
	}
	for len(batch) > 0 {
		var st state
		failed := -1
		var ferr error
		err := l.db.Update(func(tx *bolt.Tx) error {
			st = l.st
			records := false
			for _, p := range batch {
				records = records || len(p.entries) > 0
			}
			var b *buckets
			if records {
				var err error
				if b, err = writeBuckets(tx); err != nil {
					return err
				}
				if l.oldFormat {
					if err := b.meta.Put([]byte(metaFormat), []byte(formatID)); err != nil {
						return err
					}
				}
			}
			now := l.opts.Now().UnixNano()
			for i, p := range batch {
				if p.with != nil {
					if err := p.with(tx, st.size); err != nil {
						failed, ferr = i, err
						return err
					}
				}
				p.first = st.size
				for i, e := range p.entries {
					if p.ownCard && i == 0 {
						if err := b.ownCard(st.size, l.origin); err != nil {
							return err
						}
					}
					if err := st.append(b, now, e, p.sums[i]); err != nil {
						return err
					}
				}
			}
			if !records {
				return nil
			}
			return st.signTree(b, l.signer)
		})
		if failed >= 0 {
			p := batch[failed]
			p.err = ferr
			close(p.done)
			batch = append(batch[:failed:failed], batch[failed+1:]...)
			continue
		}
		if err != nil {
			// Rolled back: the committer's state is as before.
			err = l.failWrite(err)
		} else {
			if st.size > l.st.size {
				l.st, l.oldFormat = st, false
				l.latest.Store(st.cp)
			}
			l.trouble.Store(nil)
		}
		for _, p := range batch {
			p.err = err
			close(p.done)
		}
		return
	}
}

// append writes one record, its payload and its tree hashes.
func (st *state) append(b *buckets, now int64, e Entry, sum [sha256.Size]byte) error {
	t := max(now, st.lastTime)
	rec := Record{
		Hub:         e.Hub,
		Seq:         st.size,
		Time:        time.Unix(0, t),
		Type:        e.Type,
		Actor:       e.Actor,
		MessageID:   e.MessageID,
		Prev:        st.prev,
		PayloadHash: sum,
		PayloadSize: int64(len(e.Payload)),
	}
	raw := rec.encode()
	k := itob(st.size)
	if err := b.records.Put(k, raw); err != nil {
		return fmt.Errorf("record %d: %w", st.size, err)
	}
	payload := e.Payload
	if payload == nil {
		payload = []byte{}
	}
	if err := b.payloads.Put(k, payload); err != nil {
		return fmt.Errorf("payload %d: %w", st.size, err)
	}
	leaf := tlog.RecordHash(raw)
	hashes, err := tlog.StoredHashesForRecordHash(st.size, leaf, &st.frontier)
	if err != nil {
		return fmt.Errorf("tree hashes of record %d: %w", st.size, err)
	}
	base := tlog.StoredHashIndex(0, st.size)
	for j := range hashes {
		if err := b.hashes.Put(itob(base+int64(j)), hashes[j][:]); err != nil {
			return fmt.Errorf("tree hash %d: %w", base+int64(j), err)
		}
	}
	st.frontier.add(st.size, hashes)
	st.prev, st.lastTime = leaf, t
	st.size++
	return nil
}
