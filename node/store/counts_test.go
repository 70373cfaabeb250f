package store

import (
	"bytes"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// openShared opens the store kept in bucket "node" of db, as a node does.
func openShared(t *testing.T, db *bolt.DB) *Store {
	t.Helper()
	s, err := OpenIn(db, "node", func(fn func(*bolt.Tx) error) error { return db.Update(fn) })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCounterCommitLeavesTheRoster: a commit that moves a counter writes
// the counter's page, not the signed roster's. The counters used to share
// the meta bucket with the roster, and every commit of a node in a network
// of a hundred agencies with post-quantum keys rewrote the 313 KB leaf
// that held it.
func TestCounterCommitLeavesTheRoster(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "one.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := openShared(t, db)
	roster := bytes.Repeat([]byte("r"), 300<<10)
	if err := s.Commit(func(tx *Tx) error { return tx.SetRoster(roster) }); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		st := db.Stats()
		before := st.TxStats.GetPageAlloc()
		if err := s.Commit(func(tx *Tx) error { return tx.add(countInbox, 1) }); err != nil {
			t.Fatal(err)
		}
		st = db.Stats()
		if wrote := st.TxStats.GetPageAlloc() - before; wrote > 64<<10 {
			t.Fatalf("commit %d of a counter wrote %d bytes of pages, with a roster of %d bytes in the store", i, wrote, len(roster))
		}
	}
	s.View(func(tx *Tx) error {
		if c := tx.Counts(); c.Inbox != 3 {
			t.Errorf("inbox count %d, want 3", c.Inbox)
		}
		if !bytes.Equal(tx.Roster(), roster) {
			t.Error("the roster changed")
		}
		return nil
	})
}

// TestStoreV1CountersConverted: a store of the first format, its counters
// in the meta bucket, shows them to a read-only view as they are, and is
// converted when opened: the counters move to their own bucket with their
// values, and the format is the current one.
func TestStoreV1CountersConverted(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "one.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := openShared(t, db)
	err = s.Commit(func(tx *Tx) error {
		if err := tx.SetRoster([]byte("signed roster")); err != nil {
			return err
		}
		if err := tx.add(countInbox, 4); err != nil {
			return err
		}
		if err := tx.add(countUnread, 2); err != nil {
			return err
		}
		return tx.add(countCopies+string(CopyDelivered), 7)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Lay it out as the first format did.
	err = db.Update(func(btx *bolt.Tx) error {
		root := btx.Bucket([]byte("node"))
		meta, counts := root.Bucket(bucketMeta), root.Bucket(bucketCounts)
		if err := counts.ForEach(func(k, v []byte) error { return meta.Put(clone(k), clone(v)) }); err != nil {
			return err
		}
		if err := root.DeleteBucket(bucketCounts); err != nil {
			return err
		}
		return meta.Put([]byte(metaFormat), []byte(formatIDV1))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := func(what string, tx *Tx) {
		t.Helper()
		c := tx.Counts()
		if c.Inbox != 4 || c.Unread != 2 || c.Copies[CopyDelivered] != 7 {
			t.Errorf("%s: counts %+v, want inbox 4, unread 2, delivered 7", what, c)
		}
	}
	found, err := ViewIn(db, "node", func(tx *Tx) error { want("the first format, read-only", tx); return nil })
	if err != nil || !found {
		t.Fatalf("ViewIn: %v, found %v", err, found)
	}
	s = openShared(t, db)
	s.View(func(tx *Tx) error {
		want("converted", tx)
		meta := tx.bucket(bucketMeta)
		if f := string(meta.Get([]byte(metaFormat))); f != formatID {
			t.Errorf("format %q, want %q", f, formatID)
		}
		if k, _ := meta.Cursor().Seek([]byte(countPrefix)); k != nil && bytes.HasPrefix(k, []byte(countPrefix)) {
			t.Errorf("counter %q left in the meta bucket", k)
		}
		if string(tx.Roster()) != "signed roster" {
			t.Errorf("roster %q after the conversion", tx.Roster())
		}
		return nil
	})
	// Opening it again changes nothing.
	s = openShared(t, db)
	s.View(func(tx *Tx) error { want("opened again", tx); return nil })
}

// TestStoreUnknownFormatRefused: a store of a format this casenode does
// not know is refused, not converted.
func TestStoreUnknownFormatRefused(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "one.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	openShared(t, db)
	err = db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket([]byte("node")).Bucket(bucketMeta).Put([]byte(metaFormat), []byte("casenode-store-9"))
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenIn(db, "node", func(fn func(*bolt.Tx) error) error { return db.Update(fn) })
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(`format "casenode-store-9"`)) {
		t.Fatalf("OpenIn of an unknown format: %v", err)
	}
}
