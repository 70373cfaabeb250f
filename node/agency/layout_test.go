package agency_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	bolt "go.etcd.io/bbolt"
)

// splitLayout turns the directory of a stopped node into the earlier
// layout, as the code before the node's one file wrote it: the store's
// buckets at the top of a file of their own, node.db, and the audit log's
// buckets alone in audit.db.
func splitLayout(t testing.TB, dir string) {
	t.Helper()
	path := filepath.Join(dir, auditlog.FileName)
	logOnly := path + ".split"
	if _, err := auditlog.SnapshotFile(path, logOnly, auditlog.ReadOptions{}); err != nil {
		t.Fatal(err)
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := bolt.Open(filepath.Join(dir, store.OldFileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = src.View(func(stx *bolt.Tx) error {
		return dst.Update(func(dtx *bolt.Tx) error {
			return copyInto(stx.Bucket([]byte(auditlog.StoreBucket)), func(name []byte) (*bolt.Bucket, error) { return dtx.CreateBucket(name) })
		})
	})
	src.Close()
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(logOnly, path); err != nil {
		t.Fatal(err)
	}
}

// copyInto copies the buckets of src, with their keys, nested buckets and
// sequences, into the buckets create makes.
func copyInto(src *bolt.Bucket, create func(name []byte) (*bolt.Bucket, error)) error {
	return src.ForEach(func(k, v []byte) error {
		nested := src.Bucket(k)
		if v != nil || nested == nil {
			return errors.New("a key where a bucket was expected")
		}
		b, err := create(k)
		if err != nil {
			return err
		}
		return copyBucket(nested, b)
	})
}

// copyBucket copies src into dst.
func copyBucket(src, dst *bolt.Bucket) error {
	if err := dst.SetSequence(src.Sequence()); err != nil {
		return err
	}
	return src.ForEach(func(k, v []byte) error {
		if v == nil {
			b, err := dst.CreateBucket(k)
			if err != nil {
				return err
			}
			return copyBucket(src.Bucket(k), b)
		}
		return dst.Put(k, v)
	})
}

// openStore opens the store of a stopped node's one file, for a test to
// read or change; close it before the node opens again.
func openStore(t testing.TB, dir string) (*store.Store, func()) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, auditlog.FileName), 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenIn(db, auditlog.StoreBucket, db.Update)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return st, func() { st.Close(); db.Close() }
}

// copyDir copies the regular files of src into the new directory dst.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dst, "README.md")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	// A checkout keeps no modes: the node's secret files are its own.
	entries, err := os.ReadDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Chmod(filepath.Join(dst, e.Name()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// earlierLayout describes what a node directory of the earlier layout
// holds.
type earlierLayout struct {
	records int64
	counts  store.Counts
	roster  []byte
}

// readEarlierLayout reads the two files of a directory of the earlier
// layout.
func readEarlierLayout(t testing.TB, dir string) earlierLayout {
	t.Helper()
	var l earlierLayout
	r, err := auditlog.OpenReader(filepath.Join(dir, auditlog.FileName), auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.records, err = r.Size()
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, store.OldFileName), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.View(func(tx *store.Tx) error { l.counts, l.roster = tx.Counts(), tx.Roster(); return nil })
	return l
}

// TestConvertEarlierLayout opens a node directory the code before the
// node's one file made (testdata/layout1, a demo agency that sent, received
// and answered): the node converts it once into its one file, which holds
// the audit log as it was and the store as it was, keeps the old files as
// *.pre-migration, ignores what an interrupted earlier attempt left, and
// the audit log verifies both in the node's file and in a snapshot that
// leaves the store out.
func TestConvertEarlierLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sn-pj-dakar")
	copyDir(t, "testdata/layout1/sn-pj-dakar", dir)
	want := readEarlierLayout(t, dir)
	if want.records == 0 || want.counts.Outbox == 0 || want.counts.Inbox == 0 || want.roster == nil {
		t.Fatalf("the fixture holds too little: %+v", want)
	}
	// The intents the old code left (its last commits') have their
	// records in the log: the node deletes them once converted.
	want.counts.AuditIntents = 0
	path := filepath.Join(dir, auditlog.FileName)
	// An attempt a crash interrupted before its rename.
	if err := os.WriteFile(path+".migrating", []byte("half a file"), 0o600); err != nil {
		t.Fatal(err)
	}

	for round := range 2 {
		n, err := agency.Open(context.Background(), dir, agency.Options{Logger: testLogger("sn-pj-dakar")})
		if err != nil {
			t.Fatalf("open %d: %v", round, err)
		}
		s, err := n.Status(context.Background())
		n.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s.Audit.Records != want.records {
			t.Errorf("open %d: %d audit records, want %d", round, s.Audit.Records, want.records)
		}
		st, closeStore := openStore(t, dir)
		var got earlierLayout
		st.View(func(tx *store.Tx) error { got.counts, got.roster = tx.Counts(), tx.Roster(); return nil })
		closeStore()
		if !reflect.DeepEqual(got.counts, want.counts) || !bytes.Equal(got.roster, want.roster) {
			t.Errorf("open %d: store counts %+v, want %+v (roster kept: %v)", round, got.counts, want.counts, bytes.Equal(got.roster, want.roster))
		}
		for _, name := range []string{store.OldFileName, auditlog.FileName + ".migrating"} {
			if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("open %d: %s: %v, want no such file", round, name, err)
			}
		}
		for _, name := range []string{store.OldFileName, auditlog.FileName} {
			if _, err := os.Stat(filepath.Join(dir, name+auditlog.PreMigration)); err != nil {
				t.Errorf("open %d: the old file kept: %v", round, err)
			}
		}
	}
	// The node's file verifies read-only, and so does a snapshot of it,
	// which holds the audit log's buckets and not the store.
	snap := filepath.Join(t.TempDir(), "snap.db")
	if _, err := auditlog.SnapshotFile(path, snap, auditlog.ReadOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, snap} {
		r, err := auditlog.OpenReader(p, auditlog.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := r.Verify(context.Background(), auditlog.VerifyOptions{})
		r.Close()
		if err != nil {
			t.Fatalf("verify %s: %v", filepath.Base(p), err)
		}
		if rep.Latest == nil || rep.Latest.Size != want.records {
			t.Errorf("verify %s: newest checkpoint %+v, want size %d", filepath.Base(p), rep.Latest, want.records)
		}
	}
	db, err := bolt.Open(snap, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(auditlog.StoreBucket)) != nil {
			t.Errorf("the snapshot holds the node's store")
		}
		return nil
	})
}

// TestConvertFinishesAfterACrash: a crash after the node's one file was
// renamed into place, before the old store was moved aside, leaves both;
// the next open finishes the conversion without copying the store again.
func TestConvertFinishesAfterACrash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sn-pj-dakar")
	copyDir(t, "testdata/layout1/sn-pj-dakar", dir)
	want := readEarlierLayout(t, dir)
	storePath := filepath.Join(dir, store.OldFileName)
	done, err := auditlog.CombineStore(filepath.Join(dir, auditlog.FileName), storePath, 0)
	if err != nil || !done {
		t.Fatalf("convert: %v, %v", done, err)
	}
	kept, err := os.ReadFile(storePath + auditlog.PreMigration)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(storePath, kept, 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := agency.Open(context.Background(), dir, agency.Options{Logger: testLogger("sn-pj-dakar")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := n.Status(context.Background())
	n.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s.Audit.Records != want.records || s.Inbox.Messages != want.counts.Inbox || s.Outbox.Messages != want.counts.Outbox {
		t.Errorf("after the finished conversion: %d records, inbox %d, outbox %d; want %d, %d, %d",
			s.Audit.Records, s.Inbox.Messages, s.Outbox.Messages, want.records, want.counts.Inbox, want.counts.Outbox)
	}
	if _, err := os.Stat(storePath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: %v, want it moved aside", store.OldFileName, err)
	}
}
