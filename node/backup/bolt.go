package backup

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrInUse is the error of FileSnapshot's View when a running process
// holds the file: that process must make the copy.
var ErrInUse = errors.New("the file is in use by a running node")

// FileSnapshot returns the snapshot of the bbolt file rel of dir that no
// process holds: View opens it read-only for the copy, and fails with
// ErrInUse within timeout if a running node holds it locked.
func FileSnapshot(dir, rel string, timeout time.Duration) Snapshot {
	return Snapshot{Path: rel, View: func(fn func(int64, io.WriterTo) error) error {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
		if errors.Is(err, berrors.ErrTimeout) {
			return fmt.Errorf("%s: %w", path, ErrInUse)
		}
		if err != nil {
			return err
		}
		defer db.Close()
		return db.View(func(tx *bolt.Tx) error { return fn(tx.Size(), tx) })
	}}
}
