// Package durable writes files so that a crash leaves either the whole
// file or none of it: a new file is created exclusively, written, synced
// and removed again if anything fails; a replaced file goes through a
// temporary file renamed over it; and the directory that holds either is
// synced, so that the name survives a power cut as well as the content.
//
// Every package of casenode that writes a file it must not lose — keys,
// credentials, configuration, certificates, the roster, exports and
// snapshots — writes it here.
package durable

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteNew creates path, which must not exist, with mode and data; see
// CreateNew.
func WriteNew(path string, data []byte, mode fs.FileMode) error {
	return CreateNew(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// CreateNew creates path, which must not exist (O_EXCL), with mode, writes
// it through fn, syncs it and then its directory. If anything fails the
// partial file is removed; an error of fn is returned as it is. When path exists, the error satisfies
// errors.Is(err, fs.ErrExist) and the file is left alone.
func CreateNew(path string, mode fs.FileMode, fn func(io.Writer) error) error {
	if err := createFile(path, mode, fn); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// createFile is CreateNew but for the directory sync.
func createFile(path string, mode fs.FileMode, fn func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if err := fill(f, path, fn); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// Tree writes many new files under one root directory, such as an export,
// with one directory sync per directory at the end instead of one per
// file. A file written last with WriteNew after Sync, such as a manifest,
// then marks the whole tree as durable.
type Tree struct {
	// Root is the directory the files go under; Sync syncs it and its
	// parent too.
	Root string
	dirs map[string]bool
}

// CreateNew creates path under t.Root as the package's CreateNew does,
// creating its directories, but leaves the directory syncs to Sync.
func (t *Tree) CreateNew(path string, mode fs.FileMode, fn func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := createFile(path, mode, fn); err != nil {
		return err
	}
	if t.dirs == nil {
		t.dirs = map[string]bool{}
	}
	for ; !t.dirs[dir] && len(dir) > len(t.Root); dir = filepath.Dir(dir) {
		t.dirs[dir] = true
	}
	return nil
}

// Sync syncs every directory the files went into, the ones between them
// and Root, Root and Root's parent.
func (t *Tree) Sync() error {
	for dir := range t.dirs {
		if err := SyncDir(dir); err != nil {
			return err
		}
	}
	if err := SyncDir(t.Root); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(t.Root))
}

// Replace replaces path with data, atomically; see ReplaceFunc.
func Replace(path string, data []byte, mode fs.FileMode) error {
	return ReplaceFunc(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// ReplaceFunc writes a temporary file with mode in path's directory through
// fn, syncs it, renames it over path and syncs the directory, so that a
// reader or a crash sees either the old content or the new one. If anything
// fails the temporary file is removed and path is left as it was; an error
// of fn is returned as it is.
func ReplaceFunc(path string, mode fs.FileMode, fn func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fill(f, path, fn); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// fill writes f, the file or the temporary file of path, through fn, syncs
// and closes it; f is closed in any case. fn's own error is returned as it
// is.
func fill(f *os.File, path string, fn func(io.Writer) error) error {
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// SyncDir syncs the directory dir, making the creation, removal or renaming
// of the names in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
