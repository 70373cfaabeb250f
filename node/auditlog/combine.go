package auditlog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/internal/durable"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// PreMigration is the suffix of the files CombineStore replaced, kept
// beside the node's file until the operator removes them.
const PreMigration = ".pre-migration"

// CombineStore brings a node directory of the earlier layout — its store
// in a file of its own, storePath, beside its audit log at path — to
// today's, once: one file, the audit log's, holding the store's buckets
// under StoreBucket, so that a message and its audit records are durable
// in one commit. It writes a new file, path.migrating: a consistent copy
// of the audit log's file as it is, then the store's buckets, keys and
// sequences, each copied exactly; syncs it; keeps the old log as
// path.pre-migration (a hard link) and renames the new file over path;
// then renames the old store to storePath.pre-migration. The old files are
// kept, not removed: they are what the node was, until the operator has
// seen the node run. A crash leaves either the old layout, converted again
// by the next call, or the new file in place, which the next call finishes.
// It reports whether it converted the directory; it does nothing without
// storePath. It fails with an *InUseError while a process holds a file.
func CombineStore(path, storePath string, timeout time.Duration) (bool, error) {
	if _, err := os.Stat(storePath); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("convert the node's files: %w", err)
	}
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	combined, err := holdsStore(path, timeout)
	if err != nil {
		return false, err
	}
	if !combined {
		if err := combine(path, storePath, timeout); err != nil {
			return false, fmt.Errorf("convert the node's files: %w", err)
		}
	}
	if err := os.Rename(storePath, storePath+PreMigration); err != nil {
		return false, fmt.Errorf("convert the node's files: %w", err)
	}
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		return false, fmt.Errorf("convert the node's files: %w", err)
	}
	return true, nil
}

// holdsStore reports whether the file at path exists and holds the store.
func holdsStore(path string, timeout time.Duration) (bool, error) {
	if fi, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Size() == 0) {
		return false, nil
	}
	db, err := openDB(path, true, timeout)
	if err != nil {
		return false, err
	}
	defer db.Close()
	var held bool
	err = db.View(func(tx *bolt.Tx) error {
		held = tx.Bucket([]byte(StoreBucket)) != nil
		return nil
	})
	return held, err
}

// combine writes the one file and renames it over path, keeping the old
// log as path.pre-migration.
func combine(path, storePath string, timeout time.Duration) error {
	tmp := path + ".migrating"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	logExists := false
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		logExists = true
	}
	if logExists {
		if err := copyWhole(path, tmp, timeout); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	src, err := bolt.Open(storePath, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		os.Remove(tmp)
		return fmt.Errorf("%s is in use by another process: is the node already running?", storePath)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	err = src.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(StoreBucket)) != nil {
			return fmt.Errorf("%s holds a bucket %q already", storePath, StoreBucket)
		}
		return copyBuckets(tx, tmp, []byte(StoreBucket), func([]byte) bool { return true })
	})
	src.Close()
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if logExists {
		old := path + PreMigration
		if err := os.Remove(old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Link(path, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return durable.SyncDir(filepath.Dir(path))
}

// copyWhole writes a consistent copy of the bbolt file src to the new
// file dst and syncs it.
func copyWhole(src, dst string, timeout time.Duration) error {
	db, err := openDB(src, true, timeout)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = db.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
