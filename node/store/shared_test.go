package store_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
)

// TestOpenInKeepsItsBucketsInOne: a store opened in a shared file keeps
// every bucket of its own under the bucket it is given, leaves the rest of
// the file alone, commits through the owner's function, writes within the
// owner's transaction with Apply, and leaves the file open on Close.
func TestOpenInKeepsItsBucketsInOne(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "one.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("records")); return err }); err != nil {
		t.Fatal(err)
	}
	commits := 0
	s, err := store.OpenIn(db, "node", func(fn func(*bolt.Tx) error) error { commits++; return db.Update(fn) })
	if err != nil {
		t.Fatal(err)
	}
	a, b := id(t0), id(t0.Add(time.Second))
	entry := func(id string) *store.InboxEntry {
		return &store.InboxEntry{Header: header(id, "gh-ag", "c-1", protocol.TypeLead, t0, "sn-pj-dakar"), Body: json.RawMessage(`{}`), Hash: "h-" + id, Received: t0}
	}
	if err := s.Commit(func(tx *store.Tx) error { return tx.AddInbox(entry(a)) }); err != nil {
		t.Fatal(err)
	}
	if commits != 1 {
		t.Errorf("Commit went through the owner's function %d times, want 1", commits)
	}
	if err := db.Update(func(btx *bolt.Tx) error {
		return s.Apply(btx, func(tx *store.Tx) error { return tx.AddInbox(entry(b)) })
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(tx *store.Tx) error { return tx.PutAccount(&store.Account{Name: "aminata"}) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		var top []string
		tx.ForEach(func(name []byte, _ *bolt.Bucket) error { top = append(top, string(name)); return nil })
		if len(top) != 2 || top[0] != "node" || top[1] != "records" {
			t.Errorf("top-level buckets %v, want [node records]", top)
		}
		root := tx.Bucket([]byte("node"))
		if root.Bucket([]byte("inbox")).Stats().KeyN != 2 || root.Bucket([]byte("accounts")) == nil {
			t.Errorf("the store's buckets are not under node")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err = store.OpenIn(db, "node", db.Update)
	if err != nil {
		t.Fatalf("open again after Close: %v", err)
	}
	if c := counts(t, s); c.Inbox != 2 || c.Unread != 2 {
		t.Errorf("counts %+v, want 2 messages, 2 unread", c)
	}
}
