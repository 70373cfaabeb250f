package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var now = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)

// nodeDir makes a directory like a node's: secret and public files, a
// subdirectory, a socket to be left out, and a bbolt file with n keys.
func nodeDir(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "node.json"), []byte(`{"network":"wacap"}`), 0o600)
	os.WriteFile(filepath.Join(dir, "member.json"), []byte(`{"agency":"gh-ag-accra"}`), 0o644)
	os.WriteFile(filepath.Join(dir, ".lock"), nil, 0o600)
	os.Mkdir(filepath.Join(dir, "attachments"), 0o700)
	os.WriteFile(filepath.Join(dir, "attachments", "a1"), bytes.Repeat([]byte{7}, 70000), 0o600)
	db, err := bolt.Open(filepath.Join(dir, "node.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucketIfNotExists([]byte("inbox"))
		for i := range n {
			b.Put([]byte{byte(i >> 8), byte(i)}, bytes.Repeat([]byte{byte(i)}, 100))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return dir
}

func skipLock(rel string) bool { return rel == ".lock" }

func archive(t *testing.T, dir string) ([]byte, *Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := Write(&buf, dir, []Snapshot{FileSnapshot(dir, "node.db", time.Second)}, skipLock, now)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m
}

func inboxKeys(t *testing.T, path string) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("inbox")).Stats().KeyN
		return nil
	})
	return n
}

// TestWriteRestore: what is restored is the directory: the same files
// with the same bytes and no looser modes, the bbolt file whole, the lock
// file and the socket left out.
func TestWriteRestore(t *testing.T) {
	dir := nodeDir(t, 300)
	b, m := archive(t, dir)
	if len(m.Files) != 4 || m.Files[3].Path != "node.db" || !m.Files[3].Snapshot {
		t.Fatalf("manifest %+v", m.Files)
	}
	out := filepath.Join(t.TempDir(), "restored")
	got, err := Restore(bytes.NewReader(b), out)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Files) != 4 {
		t.Errorf("restored manifest %+v", got.Files)
	}
	for _, name := range []string{"node.json", "member.json", "attachments/a1"} {
		want, _ := os.ReadFile(filepath.Join(dir, name))
		have, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(want, have) {
			t.Errorf("%s: %d bytes, %v; want %d", name, len(have), err, len(want))
		}
	}
	if fi, _ := os.Stat(filepath.Join(out, "node.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("node.json restored %v", fi.Mode())
	}
	if fi, _ := os.Stat(filepath.Join(out, "member.json")); fi.Mode().Perm() != 0o644 {
		t.Errorf("member.json restored %v", fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(out, ".lock")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the lock file was restored: %v", err)
	}
	if n := inboxKeys(t, filepath.Join(out, "node.db")); n != 300 {
		t.Errorf("restored store holds %d keys, want 300", n)
	}
	if _, err := os.Stat(out + ".restoring"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging directory left: %v", err)
	}
}

// TestSnapshotOfHeldFile: a bbolt file a running process holds cannot be
// copied from outside; the error says so.
func TestSnapshotOfHeldFile(t *testing.T) {
	dir := nodeDir(t, 1)
	db, err := bolt.Open(filepath.Join(dir, "node.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = Write(io.Discard, dir, []Snapshot{FileSnapshot(dir, "node.db", 100*time.Millisecond)}, skipLock, now)
	if !errors.Is(err, ErrInUse) {
		t.Errorf("err %v, want ErrInUse", err)
	}
}

// TestRestoreRefuses: an altered, truncated or hostile archive restores
// nothing, and a directory in use is never written into.
func TestRestoreRefuses(t *testing.T) {
	dir := nodeDir(t, 50)
	good, _ := archive(t, dir)
	entries := readEntries(t, good)

	rebuild := func(edit func([]entry) []entry) []byte {
		return writeEntries(t, edit(append([]entry(nil), entries...)))
	}
	flipped := rebuild(func(es []entry) []entry {
		c := append([]byte(nil), es[0].data...)
		c[len(c)/2] ^= 1
		es[0].data = c
		return es
	})
	tests := map[string]struct {
		b    []byte
		want string
	}{
		"truncated":      {good[:len(good)/2], "unexpected EOF"},
		"not gzip":       {[]byte("hello"), "not a casenode backup"},
		"altered file":   {flipped, "differs from the manifest"},
		"no manifest":    {rebuild(func(es []entry) []entry { return es[:len(es)-1] }), "no manifest"},
		"file missing":   {rebuild(func(es []entry) []entry { return es[1:] }), "the manifest lists 4 files, the archive holds 3"},
		"after manifest": {rebuild(func(es []entry) []entry { return append(es, entry{name: "extra", data: []byte("x")}) }), `"extra" after the manifest`},
		"escape":         {rebuild(func(es []entry) []entry { return append([]entry{{name: "../evil", data: []byte("x")}}, es...) }), "not a file name a backup holds"},
		"absolute":       {rebuild(func(es []entry) []entry { return append([]entry{{name: "/etc/evil", data: []byte("x")}}, es...) }), "not a file name a backup holds"},
		"symlink":        {rebuild(func(es []entry) []entry { return append([]entry{{name: "link", link: "/etc/passwd"}}, es...) }), "not a regular file"},
		"duplicate":      {rebuild(func(es []entry) []entry { return append([]entry{es[0]}, es...) }), "twice in the archive"},
		"manifest garbage": {rebuild(func(es []entry) []entry {
			es[len(es)-1].data = []byte(`{"format":"casenode-backup/1","files":[],"x":1}`)
			return es
		}), "unknown field"},
		"other format": {rebuild(func(es []entry) []entry {
			es[len(es)-1].data = []byte(`{"format":"casenode-backup/9","files":[]}`)
			return es
		}), `format "casenode-backup/9"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "restored")
			_, err := Restore(bytes.NewReader(tt.b), out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			for _, p := range []string{out, out + ".restoring", filepath.Join(filepath.Dir(out), "evil")} {
				if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s left behind: %v", p, err)
				}
			}
		})
	}
	if _, err := Restore(bytes.NewReader(good), dir); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("restore over the node's own directory: %v", err)
	}
	empty := t.TempDir()
	if _, err := Restore(bytes.NewReader(good), empty); err != nil {
		t.Errorf("restore into an empty directory: %v", err)
	}
}

type entry struct {
	name, link string
	data       []byte
}

func readEntries(t *testing.T, b []byte) []entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var es []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return es
		}
		if err != nil {
			t.Fatal(err)
		}
		d, _ := io.ReadAll(tr)
		es = append(es, entry{name: h.Name, data: d})
	}
}

func writeEntries(t *testing.T, es []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		if e.link != "" {
			h = &tar.Header{Name: e.name, Linkname: e.link, Typeflag: tar.TypeSymlink}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// FuzzRestore: no archive makes Restore panic or write outside its target,
// and what it accepts matches its manifest.
func FuzzRestore(f *testing.F) {
	var buf bytes.Buffer
	dir := f.TempDir()
	os.WriteFile(filepath.Join(dir, "node.json"), []byte("{}"), 0o600)
	if _, err := Write(&buf, dir, nil, nil, now); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		parent := t.TempDir()
		out := filepath.Join(parent, "restored")
		m, err := Restore(bytes.NewReader(b), out)
		if err != nil {
			entries, _ := os.ReadDir(parent)
			if len(entries) != 0 {
				t.Fatalf("a refused archive left %v", entries)
			}
			return
		}
		for _, f := range m.Files {
			fi, err := os.Stat(filepath.Join(out, filepath.FromSlash(f.Path)))
			if err != nil || fi.Size() != f.Size {
				t.Fatalf("%s: %v", f.Path, err)
			}
		}
	})
}
