package auditlog

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// Signing a checkpoint takes three steps. intend makes the size and root
// about to be signed durable (the signing intent), after checking that
// they extend both the previous intent and the newest checkpoint, as the
// stored tree hashes show them; only once that is committed does sign sign;
// store then stores the checkpoint, and the same transaction writes its
// checkpoint record if records follow. So the log never signs a smaller
// tree than it signed or meant to sign before, and never two trees that are
// not one the prefix of the other. The committer runs intend and store
// inside its batch transactions when it can, and checkpoint runs them in
// transactions of their own.

// checkpoint signs the current tree, if the newest checkpoint does not
// already cover it, and stores it, on the committer's goroutine.
// A transaction that fails leaves the committer's state as it was, so that
// a write that failed for want of space can be tried again.
func (l *Log) checkpoint() (*Checkpoint, error) {
	if l.st.unstored != nil {
		st := l.st
		if err := l.db.Update(func(tx *bolt.Tx) error {
			b, err := writeBuckets(tx)
			if err != nil {
				return err
			}
			return st.store(b)
		}); err != nil {
			return nil, fmt.Errorf("store checkpoint of size %d: %w", st.cp.Size, err)
		}
		l.st = st
		l.latest.Store(st.cp)
		l.trouble.Store(nil)
	}
	st := &l.st
	if st.size == st.cpSize() || st.size == 0 {
		return st.cp, nil
	}
	var root tlog.Hash
	err := l.db.Update(func(tx *bolt.Tx) error {
		b, err := writeBuckets(tx)
		if err != nil {
			return err
		}
		root, err = st.intend(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := st.sign(l.signer, root); err != nil {
		return nil, &signError{err}
	}
	return l.checkpoint()
}

// signError is a checkpoint that could not be signed after its intent was
// stored: never for want of space.
type signError struct{ err error }

func (e *signError) Error() string { return e.err.Error() }
func (e *signError) Unwrap() error { return e.err }

// cpSize is the size of the newest checkpoint, stored or not.
func (st *state) cpSize() int64 {
	if st.cp == nil {
		return 0
	}
	return st.cp.Size
}

// intend checks the tree of st.size records and writes it as the signing
// intent, and returns its root.
func (st *state) intend(b *buckets) (tlog.Hash, error) {
	root, err := tlog.TreeHash(st.size, &st.frontier)
	if err != nil {
		return root, fmt.Errorf("checkpoint: %w", err)
	}
	if is, ir, ok := signingIntent(b); ok {
		if err := consistent(b, st.size, root, is, ir, "the size it was about to sign"); err != nil {
			return root, fmt.Errorf("checkpoint of size %d: %w", st.size, err)
		}
	}
	if st.cp != nil {
		if err := consistent(b, st.size, root, st.cp.Size, st.cp.Root, "its newest checkpoint"); err != nil {
			return root, fmt.Errorf("checkpoint of size %d: %w", st.size, err)
		}
	}
	v := make([]byte, 8+tlog.HashSize)
	binary.BigEndian.PutUint64(v, uint64(st.size))
	copy(v[8:], root[:])
	return root, b.meta.Put([]byte(metaSigning), v)
}

// sign signs the tree of st.size records with root, once its intent is
// durable. The checkpoint is then the newest, to be stored.
func (st *state) sign(s *noteSigner, root tlog.Hash) error {
	cp, err := signCheckpoint(s, st.size, root)
	if err != nil {
		return err
	}
	st.cp, st.cpPending, st.unstored = cp, true, cp
	return nil
}

// store writes the signed checkpoint not yet stored, if any.
func (st *state) store(b *buckets) error {
	if st.unstored == nil {
		return nil
	}
	if err := b.checkpoints.Put(itob(st.unstored.Size), st.unstored.Note); err != nil {
		return err
	}
	st.unstored = nil
	return nil
}

// signingIntent returns the size and root the log last meant to sign.
func signingIntent(b *buckets) (size int64, root tlog.Hash, ok bool) {
	v := b.meta.Get([]byte(metaSigning))
	if len(v) != 8+tlog.HashSize {
		return 0, root, false
	}
	copy(root[:], v[8:])
	return int64(binary.BigEndian.Uint64(v)), root, true
}

// consistent checks that the tree of size records with root extends the
// tree of old records with oldRoot, reading the old root from the stored
// tree hashes.
func consistent(b *buckets, size int64, root tlog.Hash, old int64, oldRoot tlog.Hash, what string) error {
	if old > size {
		return fmt.Errorf("refusing to sign %d records: %s is %d records, larger", size, what, old)
	}
	if old == size {
		if root != oldRoot {
			return fmt.Errorf("refusing to sign: the tree of %d records has root %s, but %s had root %s", size, root, what, oldRoot)
		}
		return nil
	}
	h, err := tlog.TreeHash(old, bucketHashReader(b.hashes))
	if err != nil {
		return fmt.Errorf("refusing to sign: %w", err)
	}
	if h != oldRoot {
		return fmt.Errorf("refusing to sign: the stored tree of %d records has root %s, but %s had root %s", old, h, what, oldRoot)
	}
	return nil
}
