package auditlog

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

func TestAppendVerifyReopen(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 50, 16)

	rep, err := verify(t, path, VerifyOptions{Card: a.card})
	if err != nil {
		t.Fatal(err)
	}
	// Record 0 is the card, 1 the peer's card, then 50 entries, each
	// appended alone: one checkpoint per commit.
	if rep.Records != 2+50 || rep.Checkpoints != 52 || !rep.Anchored {
		t.Fatalf("report %+v", rep)
	}
	if rep.Latest.Origin != "casenode/wacap/sn-pj-dakar" || rep.Latest.Size != rep.Records {
		t.Fatalf("latest %v", rep.Latest)
	}

	// Reopen and append more: the chain and the tree go on.
	l := openLog(t, path, a.options())
	for i := 0; i < 10; i++ {
		if _, err := l.Append(context.Background(), entry(i, peer)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep2, err := verify(t, path, VerifyOptions{Card: a.card, Checkpoint: rep.Latest.Note})
	if err != nil {
		t.Fatal(err)
	}
	// 10 entries, and no checkpoint record.
	if rep2.Records != rep.Records+10 || rep2.Given == nil || rep2.Given.Size != rep.Records {
		t.Fatalf("report %+v", rep2)
	}
}

func TestConcurrentAppend(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	o := a.options()
	l := openLog(t, path, o)
	const writers, each = 32, 40
	var mu sync.Mutex
	seen := map[int64]Entry{}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				e := entry(w*each+i, peer)
				seq, err := l.Append(context.Background(), e)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[seq] = e
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != writers*each {
		t.Fatalf("%d distinct sequence numbers, want %d", len(seen), writers*each)
	}
	r := openReader(t, path)
	for seq, e := range seen {
		rec, err := r.Record(seq)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Payload(seq)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type != e.Type || rec.Actor != e.Actor || rec.MessageID != e.MessageID || !bytes.Equal(p, e.Payload) {
			t.Fatalf("record %d is %+v, want %+v", seq, rec, e)
		}
	}
	rep, err := r.Verify(context.Background(), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checkpoints < writers*each/(100+writers) {
		t.Fatalf("%d checkpoints for %d records every 100", rep.Checkpoints, rep.Records)
	}
}

func TestAppendBatchAndAsync(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	l := openLog(t, path, a.options())
	batch := []Entry{entry(0, peer), entry(1, peer), entry(2, peer)}
	first, err := l.AppendBatch(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if first != 1 {
		t.Fatalf("first = %d, want 1 (after the card)", first)
	}
	var ps []*Pending
	for i := 0; i < 20; i++ {
		ps = append(ps, l.AppendAsync(entry(i, peer)))
	}
	seqs := map[int64]bool{}
	for _, p := range ps {
		<-p.Done()
		s, err := p.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		seqs[s] = true
	}
	if len(seqs) != 20 {
		t.Fatalf("%d distinct sequence numbers", len(seqs))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, path, VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestAppendRefuses(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	other := newAgency(t, "ecowas", "ng-ag-abuja")
	l := openLog(t, testPath(t), a.options())
	ctx := context.Background()
	for name, e := range map[string]Entry{
		"checkpoint":      {Type: TypeCheckpoint, Actor: "x"},
		"unknown type":    {Type: 42, Actor: "x"},
		"empty actor":     {Type: TypeSent},
		"control char":    {Type: TypeSent, Actor: "a\nb"},
		"bad message id":  {Type: TypeSent, Actor: "x", MessageID: "not-a-uuid"},
		"bad card":        {Type: TypeKey, Actor: "x", Payload: []byte("{}")},
		"own card":        {Type: TypeKey, Actor: "x", Payload: a.cardJSON(t)},
		"other network":   {Type: TypeKey, Actor: "x", Payload: other.cardJSON(t)},
		"bad rejection":   {Type: TypeRejected, Actor: "x", Payload: []byte("nope")},
		"payload too big": {Type: TypeSent, Actor: "x", Payload: make([]byte, MaxPayloadSize+1)},
	} {
		if _, err := l.Append(ctx, e); err == nil {
			t.Errorf("%s: appended", name)
		}
	}
	if _, err := l.Append(ctx, Entry{Type: TypeKey, Actor: peer.card.Agency, Payload: peer.cardJSON(t)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, entry(0, peer)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

func TestInUse(t *testing.T) {
	a := newAgency(t, "wacap", "sn-pj-dakar")
	path := testPath(t)
	l := openLog(t, path, a.options())
	defer l.Close()
	_, err := OpenReader(path, ReadOptions{LockTimeout: 50 * time.Millisecond})
	var inUse *InUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("got %v, want an InUseError", err)
	}
	want := "audit log " + path + " is in use by a running node; use 'casenode audit snapshot'"
	if err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
	o := a.options()
	o.LockTimeout = 50 * time.Millisecond
	if _, err := Open(path, o); !errors.As(err, &inUse) {
		t.Fatalf("second writer: got %v, want an InUseError", err)
	}
}

func TestReadOnlyOpenDoesNotModify(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 20, 0)
	before := readFile(t, path)
	if _, err := verify(t, path, VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("verification modified the file")
	}
	if _, err := OpenReader(path+".missing", ReadOptions{}); err == nil {
		t.Fatal("opened a missing file read-only")
	}
}

func TestSnapshotWhileAppending(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	l := openLog(t, path, a.options())
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 300; i++ {
			if _, err := l.Append(ctx, entry(i, peer)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	if _, err := l.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	snap := path + ".snap"
	f := createFile(t, snap)
	if _, err := l.Snapshot(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	<-done
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, snap, VerifyOptions{Card: a.card}); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if _, err := SnapshotFile(path, path+".copy", ReadOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, path+".copy", VerifyOptions{Card: a.card}); err != nil {
		t.Fatalf("snapshot file: %v", err)
	}
	if _, err := SnapshotFile(path, path+".copy", ReadOptions{}); err == nil {
		t.Fatal("snapshot overwrote a file")
	}
}

// rotatedLog builds a log of ten records signed by a, then appends one
// more under a new key of the same agency, as a key rotation leaves it. It
// returns the log's path, its verification before the rotation, and the
// agency before and after.
func rotatedLog(t *testing.T) (path string, first *Report, a, rotated *agency) {
	t.Helper()
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path = testPath(t)
	buildLog(t, path, a, peer, 10, 0)
	first, err := verify(t, path, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rotated = newAgency(t, "wacap", "sn-pj-dakar")
	l := openLog(t, path, rotated.rotatedFrom(a))
	if _, err := l.Append(context.Background(), entry(1, peer)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path, first, a, rotated
}

func TestKeyRotation(t *testing.T) {
	path, first, a, rotated := rotatedLog(t)
	for _, card := range []*protocol.MemberCard{a.card, rotated.card} {
		rep, err := verify(t, path, VerifyOptions{Card: card, Checkpoint: first.Latest.Note})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.OwnKeys) != 2 || rep.OwnKeys[1] != rotated.card.KeyID() {
			t.Fatalf("own keys %v", rep.OwnKeys)
		}
	}
	// The old key can no longer open it for writing without rotating back,
	// which is recorded too.
	l := openLog(t, path, a.rotatedFrom(rotated))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := verify(t, path, VerifyOptions{Card: a.card})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.OwnKeys) != 3 {
		t.Fatalf("own keys %v", rep.OwnKeys)
	}
}

func TestOriginMismatchRefused(t *testing.T) {
	a, b := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	l := openLog(t, path, a.options())
	l.Close()
	if _, err := Open(path, b.options()); err == nil {
		t.Fatal("opened another agency's log")
	}
	o := a.options()
	o.Key = b.key
	if _, err := Open(testPath(t), o); err == nil {
		t.Fatal("opened with a key that is not the card's")
	}
}
