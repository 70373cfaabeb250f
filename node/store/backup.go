package store

import (
	"io"

	bolt "go.etcd.io/bbolt"
)

// SnapshotView calls fn within one read transaction with the file's size
// in it and a source that writes a consistent copy of the whole file, of
// exactly that size, while commits go on: for backups (package
// node/backup).
func (s *Store) SnapshotView(fn func(size int64, src io.WriterTo) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(tx.Size(), tx) })
}
