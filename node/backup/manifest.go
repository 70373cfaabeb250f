package backup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// Format names this archive format in its manifest.
const Format = "casenode-backup/1"

// ManifestName is the archive's last entry.
const ManifestName = "MANIFEST.json"

// Limits of what Restore takes.
const (
	maxManifest = 1 << 20
	maxFiles    = 10000
	maxName     = 1024
)

// Manifest lists what an archive holds.
type Manifest struct {
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
	Files   []File    `json:"files"`
}

// File is one file of the archive.
type File struct {
	// Path is relative to the node's directory, with '/' separators.
	Path string `json:"path"`
	Size int64  `json:"size"`
	// Mode holds the permission bits.
	Mode fs.FileMode `json:"mode"`
	// SHA256 is the hex SHA-256 of the content.
	SHA256 string `json:"sha256"`
	// Snapshot says the file is a bbolt file copied from one read
	// transaction.
	Snapshot bool `json:"snapshot,omitempty"`
}

// Bytes returns the total size of the files.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// parseManifest decodes a manifest strictly.
func parseManifest(b []byte) (*Manifest, error) {
	if len(b) > maxManifest {
		return nil, fmt.Errorf("manifest: over %d bytes", maxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("manifest: data after the object")
	}
	if m.Format != Format {
		return nil, fmt.Errorf("manifest: format %q, this casenode reads %q", m.Format, Format)
	}
	if len(m.Files) > maxFiles {
		return nil, fmt.Errorf("manifest: %d files, at most %d", len(m.Files), maxFiles)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if err := checkName(f.Path); err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		if seen[f.Path] {
			return nil, fmt.Errorf("manifest: %q listed twice", f.Path)
		}
		seen[f.Path] = true
		if f.Size < 0 || len(f.SHA256) != 64 || f.Mode&^fs.ModePerm != 0 {
			return nil, fmt.Errorf("manifest: entry %q is malformed", f.Path)
		}
	}
	return &m, nil
}

// checkName accepts a relative, clean, local path of a file in the
// archive, and no name the node never writes.
func checkName(name string) error {
	if name == "" || len(name) > maxName || !filepath.IsLocal(filepath.FromSlash(name)) ||
		filepath.ToSlash(filepath.Clean(filepath.FromSlash(name))) != name || name == ManifestName {
		return fmt.Errorf("%.100q is not a file name a backup holds", name)
	}
	return nil
}
