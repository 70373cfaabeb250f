package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
)

// putHost returns a host function that writes key=value in the store's
// bucket.
func putHost(key, value string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(StoreBucket))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), []byte(value))
	}
}

// hostValue reads key from the store's bucket of the file at path.
func hostValue(t *testing.T, db *bolt.DB, key string) string {
	t.Helper()
	var v []byte
	db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(StoreBucket)); b != nil {
			v = append(v, b.Get([]byte(key))...)
		}
		return nil
	})
	return string(v)
}

// TestAppendWithCommitsTogether: records and the host's writes are in one
// transaction: a host function that fails leaves neither its records nor
// its writes, and its neighbours in the same batch are written without
// it; a commit of host writes alone signs no checkpoint.
func TestAppendWithCommitsTogether(t *testing.T) {
	a := newAgency(t, "net", "sn-pj")
	l := openLog(t, testPath(t), a.options())
	defer l.Close()
	size0, _ := l.Size()
	cp0 := l.LatestCheckpoint()

	refused := errors.New("refused by the store")
	ok1 := l.AppendWith(putHost("m1", "stored"), Entry{Type: TypeSent, Actor: "x", MessageID: msgID("m1"), Payload: []byte("one")})
	bad := l.AppendWith(func(tx *bolt.Tx) error {
		if err := putHost("m2", "stored")(tx); err != nil {
			return err
		}
		return refused
	}, Entry{Type: TypeSent, Actor: "x", MessageID: msgID("m2"), Payload: []byte("two")})
	ok3 := l.AppendWith(putHost("m3", "stored"), Entry{Type: TypeSent, Actor: "x", MessageID: msgID("m3"), Payload: []byte("three")})
	for i, p := range []*Pending{ok1, ok3} {
		if _, err := p.Wait(context.Background()); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if _, err := bad.Wait(context.Background()); !errors.Is(err, refused) {
		t.Fatalf("the failing append: %v, want its host's error", err)
	}
	if n, _ := l.Size(); n != size0+2 {
		t.Errorf("size %d, want %d: the failing append's record is not written, the others are", n, size0+2)
	}
	for key, want := range map[string]string{"m1": "stored", "m2": "", "m3": "stored"} {
		if got := hostValue(t, l.DB(), key); got != want {
			t.Errorf("host value %s = %q, want %q", key, got, want)
		}
	}
	cp := l.LatestCheckpoint()
	if cp == nil || cp.Size != size0+2 || cp == cp0 {
		t.Fatalf("checkpoint %+v, want one of size %d", cp, size0+2)
	}
	// The three appends commit in one batch or in several, as the
	// committer takes them: count the checkpoints stored by then.
	countCheckpoints := func() (n int) {
		l.DB().View(func(tx *bolt.Tx) error {
			n = tx.Bucket([]byte(bucketCheckpoints)).Stats().KeyN
			return nil
		})
		return n
	}
	before := countCheckpoints()
	if err := l.Commit(putHost("alone", "stored")); err != nil {
		t.Fatal(err)
	}
	if got := hostValue(t, l.DB(), "alone"); got != "stored" {
		t.Errorf("host write alone: %q", got)
	}
	if l.LatestCheckpoint() != cp {
		t.Errorf("a commit without records signed a new checkpoint")
	}
	if n := countCheckpoints(); n != before {
		t.Errorf("%d checkpoints stored after a commit without records, want the %d before it", n, before)
	}
}

// TestStoreBucketLeftOutOfSnapshots: a node's file verifies with its
// store, a snapshot holds every bucket of the log and not the store, and a
// restarted log keeps the store.
func TestStoreBucketLeftOutOfSnapshots(t *testing.T) {
	a := newAgency(t, "net", "sn-pj")
	path := testPath(t)
	l := openLog(t, path, a.options())
	if _, err := l.AppendWith(putHost("inbox", "a message"), Entry{Type: TypeSent, Actor: "x", MessageID: msgID("m1"), Payload: []byte("one")}).Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	var snap bytes.Buffer
	if _, err := l.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	snapPath := testPath(t)
	if err := os.WriteFile(snapPath, snap.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, snapPath} {
		r := openReader(t, p)
		rep, err := r.Verify(context.Background(), VerifyOptions{})
		r.Close()
		if err != nil || rep.Latest.Size != 2 {
			t.Fatalf("verify %s: %v", p, err)
		}
	}
	db, err := bolt.Open(snapPath, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error { names = append(names, string(name)); return nil })
	})
	db.Close()
	for _, want := range knownBuckets() {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found && want != bucketCosignatures {
			t.Errorf("the snapshot lacks bucket %s (it has %v)", want, names)
		}
	}
	for _, n := range names {
		if n == StoreBucket {
			t.Errorf("the snapshot holds the node's store")
		}
	}

	if _, err := Restart(context.Background(), path, a.options()); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, path, a.options())
	defer l.Close()
	if got := hostValue(t, l.DB(), "inbox"); got != "a message" {
		t.Errorf("the store after a restart of the log: %q, want it kept", got)
	}
}

// msgID returns a message id of its own for name.
func msgID(name string) string {
	return protocol.NewMessageID(time.Unix(1_800_000_000+int64(name[1]), 0))
}

// TestAppendWithFirstNamesItsRecords: a host function is told the
// sequence number its first entry gets, also when it shares its
// transaction with other appends, and SentPayload reads the payload back
// by that number only for the sent record of that message with that
// payload.
func TestAppendWithFirstNamesItsRecords(t *testing.T) {
	a := newAgency(t, "net", "sn-pj")
	l := openLog(t, testPath(t), a.options())
	defer l.Close()
	firsts := make([]int64, 3)
	ids := map[string]string{"m1": msgID("m1"), "m2": msgID("m2"), "m3": msgID("m3")}
	var ps []*Pending
	for i, name := range []string{"m1", "m2", "m3"} {
		ps = append(ps, l.AppendWithFirst(func(tx *bolt.Tx, first int64) error {
			firsts[i] = first
			return nil
		}, Entry{Type: TypeSent, Actor: "x", MessageID: ids[name], Payload: []byte(name + " sealed")},
			Entry{Type: TypeAccess, Actor: "x", MessageID: ids[name]}))
	}
	for i, p := range ps {
		first, err := p.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if firsts[i] != first {
			t.Errorf("append %d: its host function was told %d, its first record is %d", i, firsts[i], first)
		}
	}
	sum := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])
	}
	p, err := l.SentPayload(firsts[1], ids["m2"], sum("m2 sealed"))
	if err != nil || string(p) != "m2 sealed" {
		t.Fatalf("SentPayload = %q, %v; want the sealed bytes of m2", p, err)
	}
	for _, c := range []struct {
		what string
		seq  int64
		id   string
		hash string
	}{
		{"another message's record", firsts[0], ids["m2"], sum("m2 sealed")},
		{"another payload", firsts[1], ids["m2"], sum("other")},
		{"a record that is not a sent record", firsts[1] + 1, ids["m2"], sum("")},
		{"no record", firsts[2] + 2, ids["m3"], sum("m3 sealed")},
	} {
		if _, err := l.SentPayload(c.seq, c.id, c.hash); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", c.what, err)
		}
	}
}
