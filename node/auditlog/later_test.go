package auditlog

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	bolt "go.etcd.io/bbolt"
)

// txRecorder returns a host function that writes key=value and notes the
// id of the transaction it ran in, and a function that returns that id.
func txRecorder(key, value string) (func(tx *bolt.Tx) error, func() int) {
	var mu sync.Mutex
	id := 0
	return func(tx *bolt.Tx) error {
			mu.Lock()
			id = tx.ID()
			mu.Unlock()
			return putHost(key, value)(tx)
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return id
		}
}

// TestCommitLaterSharesTheNextCommit: a function of CommitLater waits for
// the next commit and is written in its transaction, before what that
// commit was for; alone it is written on its own within LaterDelay; a
// Flush and Close write it as well.
func TestCommitLaterSharesTheNextCommit(t *testing.T) {
	a := newAgency(t, "net", "sn-pj")
	path := testPath(t)
	l := openLog(t, path, a.options())

	// Shares the next append's transaction.
	laterFn, laterTx := txRecorder("relayed", "1")
	later := l.CommitLater(laterFn)
	appendFn, appendTx := txRecorder("sent", "1")
	if _, err := l.AppendWith(appendFn, Entry{Type: TypeSent, Actor: "x", MessageID: msgID("m1"), Payload: []byte("one")}).Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := later.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if laterTx() == 0 || laterTx() != appendTx() {
		t.Fatalf("the later function ran in transaction %d, the append in %d: want the same", laterTx(), appendTx())
	}
	if got := hostValue(t, l.DB(), "relayed"); got != "1" {
		t.Fatalf("relayed = %q after the commit, want 1", got)
	}

	// Alone, it is written within LaterDelay, in a transaction of its own.
	start := time.Now()
	alone := l.CommitLater(putHost("relayed", "2"))
	if _, err := alone.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < LaterDelay/2 {
		t.Errorf("a later function alone was written after %v, before any other commit and long before LaterDelay (%v)", waited, LaterDelay)
	}
	if got := hostValue(t, l.DB(), "relayed"); got != "2" {
		t.Fatalf("relayed = %q, want 2", got)
	}

	// A Flush writes what waits.
	flushed := l.CommitLater(putHost("relayed", "3"))
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-flushed.Done():
	default:
		t.Fatal("Flush returned before the later function it follows was written")
	}
	if got := hostValue(t, l.DB(), "relayed"); got != "3" {
		t.Fatalf("relayed = %q after Flush, want 3", got)
	}

	// Close writes what waits.
	closing := l.CommitLater(putHost("relayed", "4"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "the later function written at Close", func() bool {
		select {
		case <-closing.Done():
			return true
		default:
			return false
		}
	})
	if closing.err != nil {
		t.Fatal(closing.err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := hostValue(t, db, "relayed"); got != "4" {
		t.Fatalf("relayed = %q after Close, want 4", got)
	}
}
