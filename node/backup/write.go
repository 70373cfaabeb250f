package backup

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Snapshot is a bbolt file of the directory, copied from one read
// transaction.
type Snapshot struct {
	// Path is the file's path relative to the directory, '/'-separated.
	Path string
	// View calls fn within one read transaction with the file's size in
	// that transaction and a source that writes exactly that many bytes
	// (a *bbolt.Tx is one).
	View func(fn func(size int64, src io.WriterTo) error) error
}

// Write writes the archive of dir to w: the regular files of dir and its
// subdirectories except skipped ones and the snapshots' paths, as they are
// on disk; then the snapshots, in their order; then the manifest. Sockets,
// symbolic links and other special files are left out.
func Write(w io.Writer, dir string, snapshots []Snapshot, skip func(rel string) bool, now time.Time) (*Manifest, error) {
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	m := &Manifest{Format: Format, Created: now.UTC().Truncate(time.Second)}
	snap := map[string]bool{}
	for _, s := range snapshots {
		snap[s.Path] = true
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if snap[rel] || (skip != nil && skip(rel)) {
			return nil
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backup: read %s: %w", dir, err)
	}
	sort.Strings(files)
	for _, rel := range files {
		f, err := addFile(tw, dir, rel, now)
		if err != nil {
			return nil, fmt.Errorf("backup: %s: %w", rel, err)
		}
		m.Files = append(m.Files, *f)
	}
	for _, s := range snapshots {
		f, err := addSnapshot(tw, s, now)
		if err != nil {
			return nil, fmt.Errorf("backup: copy %s: %w", s.Path, err)
		}
		m.Files = append(m.Files, *f)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(b)), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if _, err := tw.Write(b); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// addFile copies one file as it is on disk.
func addFile(tw *tar.Writer, dir, rel string, now time.Time) (*File, error) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	mode := fi.Mode().Perm()
	if err := tw.WriteHeader(&tar.Header{Name: rel, Mode: int64(mode), Size: fi.Size(), ModTime: fi.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.CopyN(io.MultiWriter(tw, h), f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("changed while it was copied (%d of %d bytes): %w", n, fi.Size(), err)
	}
	return &File{Path: rel, Size: n, Mode: mode, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// addSnapshot copies one bbolt file from one read transaction.
func addSnapshot(tw *tar.Writer, s Snapshot, now time.Time) (*File, error) {
	out := &File{Path: s.Path, Mode: 0o600, Snapshot: true}
	err := s.View(func(size int64, src io.WriterTo) error {
		if err := tw.WriteHeader(&tar.Header{Name: s.Path, Mode: 0o600, Size: size, ModTime: now, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		h := sha256.New()
		n, err := src.WriteTo(io.MultiWriter(tw, h))
		if err != nil {
			return err
		}
		if n != size {
			return errors.New("the copy's size differs from the transaction's")
		}
		out.Size, out.SHA256 = n, hex.EncodeToString(h.Sum(nil))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
