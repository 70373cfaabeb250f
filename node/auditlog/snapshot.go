package auditlog

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/casenode/casenode/internal/durable"
	bolt "go.etcd.io/bbolt"
)

// SnapshotFile copies the log at src to dst, a new file, consistently and
// durably: it writes a temporary file next to dst from one read
// transaction, syncs it, renames it into place and syncs the directory. It opens src read-only,
// so it fails with an *InUseError while a node holds src: the running node
// must make the snapshot itself (Reader.Snapshot).
func SnapshotFile(src, dst string, o ReadOptions) (n int64, err error) {
	if _, err := os.Lstat(dst); err == nil {
		return 0, fmt.Errorf("snapshot: %s already exists", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	r, err := OpenReader(src, o)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var serr error
	err = durable.ReplaceFunc(dst, 0o600, func(w io.Writer) error {
		n, serr = r.Snapshot(w)
		return serr
	})
	if serr != nil {
		return 0, serr
	}
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	return n, nil
}

// Snapshot writes a consistent copy of the log to w, from one read
// transaction, while appends go on: every bucket of the file but the
// node's store (StoreBucket), which an auditor is not given. The copy is
// itself a bbolt file that OpenReader opens. A file that holds the store
// is copied through a temporary file next to it (or in the temporary
// directory), removed after.
func (r *Reader) Snapshot(w io.Writer) (int64, error) {
	var n int64
	err := r.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(StoreBucket)) == nil {
			var err error
			n, err = tx.WriteTo(w)
			return err
		}
		f, err := os.CreateTemp(filepath.Dir(r.path), filepath.Base(r.path)+".snapshot-*")
		if err != nil {
			f, err = os.CreateTemp("", "casenode-snapshot-*")
		}
		if err != nil {
			return err
		}
		tmp := f.Name()
		f.Close()
		defer os.Remove(tmp)
		if err := os.Remove(tmp); err != nil {
			return err
		}
		err = copyBuckets(tx, tmp, nil, func(name []byte) bool { return string(name) != StoreBucket })
		if err != nil {
			return err
		}
		f, err = os.Open(tmp)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("snapshot audit log: %w", err)
	}
	return n, nil
}
