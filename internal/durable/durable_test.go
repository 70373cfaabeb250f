package durable

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := WriteNew(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	err = WriteNew(path, []byte("two"), 0o600)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second write: %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "one" {
		t.Fatalf("an existing file was changed to %q", got)
	}
}

// TestCreateNewRemovesPartialFile holds that a failed write leaves nothing
// behind, so that a retry can create the file again.
func TestCreateNewRemovesPartialFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	boom := errors.New("boom")
	err := CreateNew(path, 0o600, func(w io.Writer) error {
		w.Write([]byte("half"))
		return boom
	})
	if err != boom {
		t.Fatalf("got %v, want fn's error as it is", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the partial file is still there: %v", err)
	}
	if err := WriteNew(path, []byte("whole"), 0o600); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roster.jws")
	if err := Replace(path, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Replace(path, []byte("v2"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if got, _ := os.ReadFile(path); string(got) != "v2" || err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("got %q mode %v (%v), want v2 with 0600", got, fi.Mode(), err)
	}
	boom := errors.New("boom")
	if err := ReplaceFunc(path, 0o644, func(w io.Writer) error { w.Write([]byte("v3")); return boom }); err != boom {
		t.Fatalf("got %v, want fn's error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "v2" {
		t.Fatalf("a failed replace changed the file to %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestSyncDirMissing(t *testing.T) {
	if err := SyncDir(filepath.Join(t.TempDir(), "gone")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
}

func TestTree(t *testing.T) {
	root := filepath.Join(t.TempDir(), "export")
	tr := Tree{Root: root}
	for _, p := range []string{"records.jsonl", "tile/0/000", "tile/0/001", "tile/entries/000"} {
		if err := tr.CreateNew(filepath.Join(root, filepath.FromSlash(p)), 0o600, func(w io.Writer) error { _, err := w.Write([]byte(p)); return err }); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{filepath.Join(root, "tile"): true, filepath.Join(root, "tile", "0"): true, filepath.Join(root, "tile", "entries"): true}
	if len(tr.dirs) != len(want) {
		t.Errorf("directories to sync %v, want %v", tr.dirs, want)
	}
	for d := range want {
		if !tr.dirs[d] {
			t.Errorf("%s is not synced", d)
		}
	}
	if err := tr.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := tr.CreateNew(filepath.Join(root, "tile", "0", "000"), 0o600, func(io.Writer) error { return nil }); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("a second file of the same name: %v, want fs.ErrExist", err)
	}
}
