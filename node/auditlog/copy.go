package auditlog

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// copyTxBytes bounds the bytes a copy writes in one transaction of the new
// file: a large log is not held in memory whole.
const copyTxBytes = 32 << 20

// copier copies buckets from a read transaction into a new bbolt file, in
// transactions of about copyTxBytes, keys in order and pages filled to the
// brim. The new file is made durable by finish.
type copier struct {
	db      *bolt.DB
	tx      *bolt.Tx
	written int
	cur     *bolt.Bucket // the bucket of curPath in tx, or nil
	curPath string
}

// newCopier opens the bbolt file path for a copy. Its transactions do not
// sync: finish syncs once, at the end.
func newCopier(path string) (*copier, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, err
	}
	c := &copier{db: db}
	if c.tx, err = db.Begin(true); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// bucket returns the bucket at path in the current transaction, creating
// it and its parents.
func (c *copier) bucket(path [][]byte) (*bolt.Bucket, error) {
	key := string(bytes.Join(path, []byte{0}))
	if c.cur != nil && c.curPath == key {
		return c.cur, nil
	}
	b, err := c.tx.CreateBucketIfNotExists(path[0])
	for _, name := range path[1:] {
		if err != nil {
			break
		}
		b, err = b.CreateBucketIfNotExists(name)
	}
	if err != nil {
		return nil, err
	}
	b.FillPercent = 1.0
	c.cur, c.curPath = b, key
	return b, nil
}

// copy copies src, its keys and its nested buckets, and its sequence, to
// the bucket at path.
func (c *copier) copy(src *bolt.Bucket, path [][]byte) error {
	b, err := c.bucket(path)
	if err != nil {
		return err
	}
	if err := b.SetSequence(src.Sequence()); err != nil {
		return err
	}
	return src.ForEach(func(k, v []byte) error {
		if v == nil {
			if nested := src.Bucket(k); nested != nil {
				return c.copy(nested, append(path[:len(path):len(path)], k))
			}
		}
		b, err := c.bucket(path)
		if err != nil {
			return err
		}
		if err := b.Put(k, v); err != nil {
			return err
		}
		c.written += len(k) + len(v)
		if c.written < copyTxBytes {
			return nil
		}
		return c.next()
	})
}

// next commits the current transaction and begins another.
func (c *copier) next() error {
	c.cur, c.written = nil, 0
	if err := c.tx.Commit(); err != nil {
		c.tx = nil
		return err
	}
	var err error
	c.tx, err = c.db.Begin(true)
	return err
}

// finish commits, syncs and closes the new file; after an error it only
// closes it.
func (c *copier) finish(failed error) error {
	if failed != nil {
		if c.tx != nil {
			c.tx.Rollback()
		}
		c.db.Close()
		return failed
	}
	err := c.tx.Commit()
	if err == nil {
		err = c.db.Sync()
	}
	if cerr := c.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyBuckets copies the top-level buckets of src that keep says to keep
// into the new bbolt file path, under the bucket under if it is not empty,
// durably.
func copyBuckets(src *bolt.Tx, path string, under []byte, keep func(name []byte) bool) error {
	c, err := newCopier(path)
	if err != nil {
		return err
	}
	err = src.ForEach(func(name []byte, b *bolt.Bucket) error {
		if !keep(name) {
			return nil
		}
		p := [][]byte{name}
		if under != nil {
			p = [][]byte{under, name}
		}
		if err := c.copy(b, p); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
		return nil
	})
	return c.finish(err)
}
