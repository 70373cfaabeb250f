package auditlog

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrNotFound reports a record or checkpoint the log does not hold.
var ErrNotFound = errors.New("not in the audit log")

// ReadOptions are the options of OpenReader.
type ReadOptions struct {
	// LockTimeout is how long to wait for a writer's lock on the file;
	// zero means DefaultLockTimeout.
	LockTimeout time.Duration
}

// Reader reads, iterates, proves and verifies a log. A Reader from
// OpenReader opens the file read-only and never modifies it; a Log embeds a
// Reader over its own file.
type Reader struct {
	db     *bolt.DB
	path   string
	origin string
}

// OpenReader opens the log at path read-only, for an auditor's tools. It
// fails with an *InUseError while a node holds the file, and for a file
// that is not a bbolt file.
func OpenReader(path string, o ReadOptions) (*Reader, error) {
	db, err := openDB(path, true, o.LockTimeout)
	if err != nil {
		return nil, err
	}
	// A file whose buckets or format are not an audit log's still opens:
	// Verify reports it as an integrity failure, the other reads fail.
	r := &Reader{db: db, path: path}
	db.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket([]byte(bucketMeta)); m != nil {
			r.origin = string(m.Get([]byte(metaOrigin)))
		}
		return nil
	})
	return r, nil
}

// Close closes a Reader from OpenReader. (A Log's Close closes its Reader.)
func (r *Reader) Close() error { return r.db.Close() }

// Path returns the log's file.
func (r *Reader) Path() string { return r.path }

// Origin returns the log's origin, casenode/<network>/<agency>.
func (r *Reader) Origin() string { return r.origin }

// view runs fn in a read transaction over the log's buckets.
func (r *Reader) view(fn func(b *buckets) error) error {
	return r.db.View(func(tx *bolt.Tx) error {
		b, err := readBuckets(tx)
		if err != nil {
			return err
		}
		return fn(b)
	})
}

// size returns the number of records: one more than the last key.
func size(b *buckets) (int64, error) {
	k, _ := b.records.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	n, ok := btoi(k)
	if !ok {
		return 0, fmt.Errorf("invalid record key %x", k)
	}
	return n + 1, nil
}

// Size returns the number of records in the log.
func (r *Reader) Size() (n int64, err error) {
	err = r.view(func(b *buckets) error {
		n, err = size(b)
		return err
	})
	return n, err
}

// Record returns record i.
func (r *Reader) Record(i int64) (rec *Record, err error) {
	err = r.view(func(b *buckets) error {
		v := b.records.Get(itob(i))
		if v == nil {
			return fmt.Errorf("record %d: %w", i, ErrNotFound)
		}
		rec, err = DecodeRecord(v)
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		return nil
	})
	return rec, err
}

// Payload returns the payload of record i.
func (r *Reader) Payload(i int64) (p []byte, err error) {
	err = r.view(func(b *buckets) error {
		v := b.payloads.Get(itob(i))
		if v == nil {
			return fmt.Errorf("payload of record %d: %w", i, ErrNotFound)
		}
		p = append([]byte{}, v...)
		return nil
	})
	return p, err
}

// Iterate calls fn for every record from index from on, in order, within
// one read transaction. payload is only valid during the call: copy it to
// keep it. An error from fn stops the iteration and is returned.
func (r *Reader) Iterate(from int64, fn func(rec *Record, payload []byte) error) error {
	return r.view(func(b *buckets) error {
		c := b.records.Cursor()
		for k, v := c.Seek(itob(from)); k != nil; k, v = c.Next() {
			i, ok := btoi(k)
			if !ok {
				return fmt.Errorf("invalid record key %x", k)
			}
			rec, err := DecodeRecord(v)
			if err != nil {
				return fmt.Errorf("record %d: %w", i, err)
			}
			if err := fn(rec, b.payloads.Get(k)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Latest returns the newest stored checkpoint, or nil if the log has none.
// Its signature is not checked here: Verify does that.
func (r *Reader) Latest() (c *Checkpoint, err error) {
	err = r.view(func(b *buckets) error {
		k, v := b.checkpoints.Cursor().Last()
		if k == nil {
			return nil
		}
		c, _, err = ParseCheckpoint(v)
		return err
	})
	return c, err
}

// Checkpoints returns every stored checkpoint, oldest first, signatures
// unchecked.
func (r *Reader) Checkpoints() (cs []*Checkpoint, err error) {
	err = r.view(func(b *buckets) error {
		return b.checkpoints.ForEach(func(k, v []byte) error {
			c, _, err := ParseCheckpoint(v)
			if err != nil {
				return fmt.Errorf("checkpoint %x: %w", k, err)
			}
			cs = append(cs, c)
			return nil
		})
	})
	return cs, err
}

// TreeHash returns the Merkle root of the first n records, from the stored
// tree hashes.
func (r *Reader) TreeHash(n int64) (h tlog.Hash, err error) {
	err = r.view(func(b *buckets) error {
		h, err = tlog.TreeHash(n, bucketHashReader(b.hashes))
		return err
	})
	return h, err
}

// ProveRecord returns the proof that record i is in the tree of the first
// n records.
func (r *Reader) ProveRecord(i, n int64) (p tlog.RecordProof, err error) {
	err = r.view(func(b *buckets) error {
		p, err = tlog.ProveRecord(n, i, bucketHashReader(b.hashes))
		return err
	})
	return p, err
}

// ProveTree returns the proof that the tree of the first n records extends
// the tree of the first old records.
func (r *Reader) ProveTree(n, old int64) (p tlog.TreeProof, err error) {
	err = r.view(func(b *buckets) error {
		p, err = tlog.ProveTree(n, old, bucketHashReader(b.hashes))
		return err
	})
	return p, err
}

// CheckpointAt returns the stored checkpoint of tree size n, signature
// unchecked: every commit stores the checkpoint of the size it leaves, so
// every size the log had at the end of a commit has one. It returns an
// error wrapping ErrNotFound for any other size.
func (r *Reader) CheckpointAt(n int64) (c *Checkpoint, err error) {
	err = r.view(func(b *buckets) error {
		v := b.checkpoints.Get(itob(n))
		if v == nil {
			return fmt.Errorf("checkpoint of size %d: %w", n, ErrNotFound)
		}
		c, _, err = ParseCheckpoint(v)
		return err
	})
	return c, err
}
