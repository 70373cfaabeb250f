package backup

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/casenode/casenode/internal/durable"
)

// Restore reads an archive that Write wrote and brings the directory back
// as dir, which must not exist or be empty. It extracts into a new
// directory beside dir, checks every file against the manifest (the last
// entry: anything missing, extra, altered or after it is an error), syncs
// the files and renames the directory into place: on any error nothing is
// left at dir but what was there.
func Restore(r io.Reader, dir string) (*Manifest, error) {
	dir = filepath.Clean(dir)
	if err := emptyTarget(dir); err != nil {
		return nil, err
	}
	staging := dir + ".restoring"
	if err := os.Mkdir(staging, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("restore: %s exists: an interrupted restore? remove it first", staging)
		}
		return nil, fmt.Errorf("restore: %w", err)
	}
	m, err := extract(r, staging)
	if err != nil {
		os.RemoveAll(staging)
		return nil, fmt.Errorf("restore: %w", err)
	}
	// An empty dir that exists is replaced by the restored one.
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		os.RemoveAll(staging)
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(staging, dir); err != nil {
		os.RemoveAll(staging)
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := durable.SyncDir(filepath.Dir(dir)); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	return m, nil
}

// emptyTarget accepts a directory that does not exist or is empty.
func emptyTarget(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty: restore into a new directory", dir)
	}
	return nil
}

// extract writes the archive's files under root and checks them against
// its manifest.
func extract(r io.Reader, root string) (*Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a casenode backup (gzip): %w", err)
	}
	tr := tar.NewReader(zr)
	got := map[string]File{}
	t := &durable.Tree{Root: root}
	var m *Manifest
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		if m != nil {
			return nil, fmt.Errorf("entry %.100q after the manifest", h.Name)
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("entry %.100q is not a regular file", h.Name)
		}
		if h.Name == ManifestName {
			b, err := io.ReadAll(io.LimitReader(tr, maxManifest+1))
			if err != nil {
				return nil, fmt.Errorf("read manifest: %w", err)
			}
			if m, err = parseManifest(b); err != nil {
				return nil, err
			}
			continue
		}
		if err := checkName(h.Name); err != nil {
			return nil, err
		}
		if _, dup := got[h.Name]; dup {
			return nil, fmt.Errorf("%q twice in the archive", h.Name)
		}
		if len(got) >= maxFiles {
			return nil, fmt.Errorf("more than %d files", maxFiles)
		}
		// Never executable, never writable by others.
		mode := fs.FileMode(h.Mode).Perm() & 0o644
		sum := sha256.New()
		var n int64
		err = t.CreateNew(filepath.Join(root, filepath.FromSlash(h.Name)), mode|0o600, func(w io.Writer) error {
			var err error
			n, err = io.Copy(io.MultiWriter(w, sum), tr)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", h.Name, err)
		}
		got[h.Name] = File{Path: h.Name, Size: n, Mode: mode | 0o600, SHA256: hex.EncodeToString(sum.Sum(nil))}
	}
	if m == nil {
		return nil, errors.New("the archive has no manifest: it is truncated, or not a casenode backup")
	}
	if len(m.Files) != len(got) {
		return nil, fmt.Errorf("the manifest lists %d files, the archive holds %d", len(m.Files), len(got))
	}
	for _, f := range m.Files {
		g, ok := got[f.Path]
		if !ok {
			return nil, fmt.Errorf("%s is in the manifest but not in the archive", f.Path)
		}
		if g.Size != f.Size || g.SHA256 != f.SHA256 {
			return nil, fmt.Errorf("%s differs from the manifest (%d bytes, SHA-256 %s; the manifest says %d, %s)", f.Path, g.Size, g.SHA256, f.Size, f.SHA256)
		}
	}
	if err := t.Sync(); err != nil {
		return nil, err
	}
	return m, nil
}
