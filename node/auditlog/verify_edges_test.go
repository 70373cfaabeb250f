package auditlog

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestVerifyDefaultWorkers runs the message checks with Workers left at
// zero: GOMAXPROCS goroutines check them, and the verification ends.
func TestVerifyDefaultWorkers(t *testing.T) {
	f := newFixture(t)
	checked := make(chan struct{}, 100)
	done := make(chan error, 1)
	go func() {
		_, err := verify(t, f.path, VerifyOptions{Card: f.a.card, CheckMessage: func(*Record, []byte, *Trust) error {
			checked <- struct{}{}
			return nil
		}})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("verification with the default number of workers does not end")
	}
	if len(checked) == 0 {
		t.Fatal("no message checked")
	}
}

// TestVerifyProgressAndCancel: Progress is called at the start, every
// progressEvery records and at the end; a cancelled context stops the pass.
func TestVerifyProgressAndCancel(t *testing.T) {
	a := newAgency(t, "wacap", "sn-pj-dakar")
	path := testPath(t)
	l := openLog(t, path, a.options())
	es := make([]Entry, 0, 1000)
	for len(es) < cap(es) {
		es = append(es, Entry{Type: TypeAccess, Actor: "clerk", Payload: []byte(`{"action":"read"}`)})
	}
	for n := 0; n < progressEvery; n += len(es) {
		if _, err := l.AppendBatch(context.Background(), es); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, path)
	n, err := r.Size()
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	if _, err := r.Verify(context.Background(), VerifyOptions{Progress: func(done, total int64) {
		calls = append(calls, fmt.Sprintf("%d/%d", done, total))
	}}); err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("0/%d", n), fmt.Sprintf("%d/%d", progressEvery, n), fmt.Sprintf("%d/%d", n, n)}
	if strings.Join(calls, " ") != strings.Join(want, " ") {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Verify(ctx, VerifyOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("verify with a cancelled context: %v", err)
	}
}

// TestTamperMissingPieces removes or adds single keys of the file and
// expects the failure to name what is missing or extra.
func TestTamperMissingPieces(t *testing.T) {
	cases := []struct {
		name       string
		edit       func(f *tamperFixture, n int64) func(b *buckets) error
		index      func(n int64) int64
		checkpoint bool
		what       string
	}{
		{"a record", func(f *tamperFixture, n int64) func(b *buckets) error {
			return func(b *buckets) error { return b.records.Delete(itob(40)) }
		}, func(int64) int64 { return 40 }, false, "record 40 is missing"},
		{"a payload", func(f *tamperFixture, n int64) func(b *buckets) error {
			return func(b *buckets) error { return b.payloads.Delete(itob(40)) }
		}, func(int64) int64 { return 40 }, false, "payload is missing"},
		{"a tree hash", func(f *tamperFixture, n int64) func(b *buckets) error {
			return func(b *buckets) error { return b.hashes.Delete(itob(tlog.StoredHashIndex(0, 40))) }
		}, func(int64) int64 { return 40 }, false, fmt.Sprintf("tree hash %d is missing", tlog.StoredHashIndex(0, 40))},
		{"tree hash 0 under a 9-byte key", func(f *tamperFixture, n int64) func(b *buckets) error {
			return func(b *buckets) error {
				h := bytes.Clone(b.hashes.Get(itob(0)))
				if err := b.hashes.Delete(itob(0)); err != nil {
					return err
				}
				return b.hashes.Put(append(itob(0), 0), h)
			}
		}, func(int64) int64 { return 0 }, false, "tree hash 0 is missing"},
		{"the last record's payload", func(f *tamperFixture, n int64) func(b *buckets) error {
			return func(b *buckets) error { return b.payloads.Delete(itob(n - 1)) }
		}, func(n int64) int64 { return n - 1 }, false, "payload is missing"},
		{"the last tree hash", func(f *tamperFixture, n int64) func(b *buckets) error {
			return func(b *buckets) error { return b.hashes.Delete(itob(tlog.StoredHashCount(n) - 1)) }
		}, func(n int64) int64 { return n - 1 }, false, "is missing"},
		{"a tree hash after the last", func(f *tamperFixture, n int64) func(b *buckets) error {
			return func(b *buckets) error { return b.hashes.Put(itob(tlog.StoredHashCount(n)), make([]byte, 32)) }
		}, func(n int64) int64 { return n }, false, "follows the last record's"},
		{"a payload after the last record", func(f *tamperFixture, n int64) func(b *buckets) error {
			return func(b *buckets) error { return b.payloads.Put(itob(n), []byte("x")) }
		}, func(n int64) int64 { return n }, false, "payload without a record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			n := f.latest.Size
			tamper(t, f.path, c.edit(f, n))
			ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, c.index(n), c.checkpoint)
			wantWhat(t, ve, c.what)
		})
	}
}

// TestTruncationNamesTheSmallestCheckpointBeyond: with several stored
// checkpoints beyond a cut, the failure says the log must hold at least
// the records of the smallest.
func TestTruncationNamesTheSmallestCheckpointBeyond(t *testing.T) {
	f := newFixture(t)
	const m = 50
	tamper(t, f.path, func(b *buckets) error {
		for i := int64(m); i < f.latest.Size; i++ {
			b.records.Delete(itob(i))
			b.payloads.Delete(itob(i))
		}
		for x := tlog.StoredHashCount(m); x < tlog.StoredHashCount(f.latest.Size); x++ {
			b.hashes.Delete(itob(x))
		}
		return nil
	})
	beyond := f.firstCheckpointAfter(t, m)
	if beyond == f.latest.Size {
		t.Fatal("fixture changed: want two checkpoints beyond the cut")
	}
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindTruncation, m, false)
	if want := fmt.Sprintf("at least %d records", beyond); ve.Expected != want {
		t.Errorf("expected %q, want %q", ve.Expected, want)
	}
}

// TestCheckpointFailuresSayWhoSigned: a stored checkpoint signed by an
// unknown key names the key in force and the key found.
func TestCheckpointFailuresSayWhoSigned(t *testing.T) {
	f := newFixture(t)
	s := f.sizes[1]
	stranger := newAgency(t, "wacap", "sn-pj-dakar")
	signer, err := newNoteSigner(f.latest.Origin, stranger.key)
	if err != nil {
		t.Fatal(err)
	}
	root, err := func() (tlog.Hash, error) {
		r := openReader(t, f.path)
		defer r.Close()
		cps, err := r.Checkpoints()
		if err != nil {
			return tlog.Hash{}, err
		}
		for _, c := range cps {
			if c.Size == s {
				return c.Root, nil
			}
		}
		return tlog.Hash{}, fmt.Errorf("no checkpoint of size %d", s)
	}()
	if err != nil {
		t.Fatal(err)
	}
	forged, err := signCheckpoint(signer, s, root)
	if err != nil {
		t.Fatal(err)
	}
	tamper(t, f.path, func(b *buckets) error { return b.checkpoints.Put(itob(s), forged.Note) })
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindTrust, s, true)
	if !strings.Contains(ve.Expected, "(kid "+f.a.card.KeyID()+")") || !strings.HasPrefix(ve.Found, "a signature by "+f.latest.Origin+"+") {
		t.Errorf("expected %q, found %q: want the own key in force and the stranger's", ve.Expected, ve.Found)
	}
}

// TestGivenCheckpointWithoutCard: the log's own keys are enough to check
// the given checkpoint; one of another log is a trust failure.
func TestGivenCheckpointWithoutCard(t *testing.T) {
	f := newFixture(t)
	rep, err := verify(t, f.path, VerifyOptions{Checkpoint: f.latest.Note})
	if err != nil || rep.Given == nil || rep.Given.Size != f.latest.Size {
		t.Fatalf("given checkpoint, no card: %+v, %v", rep, err)
	}
	g := newFixture(t)
	other := newAgency(t, "wacap", "ne-mj-niamey")
	path := testPath(t)
	buildLog(t, path, other, g.peer, 5, 0)
	_, err = verify(t, g.path, VerifyOptions{Checkpoint: func() []byte {
		r := openReader(t, path)
		defer r.Close()
		cps, err := r.Checkpoints()
		if err != nil || len(cps) == 0 {
			t.Fatalf("checkpoints of the other log: %v", err)
		}
		return cps[len(cps)-1].Note
	}()})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Kind != KindTrust || !strings.Contains(ve.What, "another log's") {
		t.Fatalf("another log's checkpoint: %v", err)
	}
}

// TestProofEdges: a record at the log's size does not exist (and no
// checkpoint covers it), record 0 is covered, and a proof that claims an
// index at the size is refused as beyond the checkpoint.
func TestProofEdges(t *testing.T) {
	f := newFixture(t)
	r := openReader(t, f.path)
	n := f.latest.Size
	if _, err := r.Prove(n); !errors.Is(err, ErrNotFound) {
		t.Errorf("prove record %d of a log whose newest checkpoint has size %d: %v", n, n, err)
	}
	if _, err := r.Prove(-1); !errors.Is(err, ErrNotFound) {
		t.Errorf("prove record -1: %v", err)
	}
	p, err := r.Prove(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := CheckProof(p, f.a.card); err != nil {
		t.Fatalf("record 0: %v", err)
	}
	// The proof of record s, the record that holds the checkpoint of size
	// s, checked against that checkpoint.
	s := f.sizes[len(f.sizes)-2]
	ps, err := r.Prove(s)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := r.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	bad := *ps
	for _, c := range cps {
		if c.Size == s {
			bad.Checkpoint = string(c.Note)
		}
	}
	_, _, err = CheckProof(&bad, f.a.card)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Kind != KindIntegrity || !strings.Contains(ve.What, "beyond the checkpoint") {
		t.Fatalf("a proof of record %d against a checkpoint of size %d: %v", s, s, err)
	}
	// A payload of the same size with one bit changed.
	same := *p
	same.Payload = flip(p.Payload, 0)
	if _, _, err := CheckProof(&same, f.a.card); !errors.As(err, &ve) || !strings.Contains(ve.What, "payload does not match") {
		t.Fatalf("a payload of the right size but other bytes: %v", err)
	}
	if _, err := r.Prove(n); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d records, 0 to %d", n, n-1)) {
		t.Errorf("prove record %d: %v", n, err)
	}
	ve = nil
	if !errors.As(err, &ve) || ve.Kind != KindIntegrity || !strings.Contains(ve.What, "beyond the checkpoint") {
		t.Fatalf("a proof of record %d against a checkpoint of size %d: %v", s, s, err)
	}
}

// TestCheckpointLimits: a checkpoint of exactly MaxCheckpointSize bytes
// parses and opens, one byte more does not; a checkpoint of size 0 parses
// but is refused as the one to check against; a text of two lines is not a
// checkpoint.
func TestCheckpointLimits(t *testing.T) {
	a := newAgency(t, "wacap", "sn-pj-dakar")
	origin := Origin("wacap", "sn-pj-dakar")
	s, err := newNoteSigner(origin, a.key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(origin, a.card.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := signCheckpoint(s, 5, tlog.RecordHash([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	// One more signature line, by a key nobody knows, padded by its name.
	padded := func(total int) []byte {
		sig := base64.StdEncoding.EncodeToString(make([]byte, 68))
		name := strings.Repeat("x", total-len(cp.Note)-len("— ")-1-len(sig)-1)
		return []byte(string(cp.Note) + "— " + name + " " + sig + "\n")
	}
	exact := padded(MaxCheckpointSize)
	if len(exact) != MaxCheckpointSize {
		t.Fatalf("padded to %d bytes", len(exact))
	}
	if _, _, err := ParseCheckpoint(exact); err != nil {
		t.Errorf("parse a checkpoint of %d bytes: %v", len(exact), err)
	}
	if _, err := OpenCheckpoint(exact, note.VerifierList(v)); err != nil {
		t.Errorf("open a checkpoint of %d bytes: %v", len(exact), err)
	}
	over := padded(MaxCheckpointSize + 1)
	if _, _, err := ParseCheckpoint(over); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("parse a checkpoint of %d bytes: %v", len(over), err)
	}
	if _, err := OpenCheckpoint(over, note.VerifierList(v)); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("open a checkpoint of %d bytes: %v", len(over), err)
	}

	empty, err := signCheckpoint(s, 0, tlog.Hash{})
	if err != nil {
		t.Fatal(err)
	}
	if c, _, err := ParseCheckpoint(empty.Note); err != nil || c.Size != 0 {
		t.Errorf("a checkpoint of size 0: %+v, %v", c, err)
	}
	f := newFixture(t)
	if _, err := verify(t, f.path, VerifyOptions{Checkpoint: empty.Note}); err == nil || !strings.Contains(err.Error(), "covers no records") {
		t.Errorf("verify against a checkpoint of size 0: %v", err)
	}

	two, err := note.Sign(&note.Note{Text: origin + "\n5\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ParseCheckpoint(two); err == nil || !strings.Contains(err.Error(), "exactly three lines (origin, size, root hash), found 2") {
		t.Errorf("a note of two lines: %v", err)
	}
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, r := range []string{base64.StdEncoding.EncodeToString(make([]byte, 31)), "not base64"} {
		bad, err := note.Sign(&note.Note{Text: origin + "\n5\n" + r + "\n"}, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ParseCheckpoint(bad); err == nil || !strings.Contains(err.Error(), "invalid root hash") {
			t.Errorf("root %q: %v", r, err)
		}
	}
	for _, o := range []string{"casenode/wacap/a b", "casenode/wacap/a+b"} {
		bad, err := note.Sign(&note.Note{Text: o + "\n5\n" + root + "\n"}, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ParseCheckpoint(bad); err == nil || !strings.Contains(err.Error(), "invalid origin") {
			t.Errorf("origin %q: %v", o, err)
		}
	}
}

// TestProofAfterARotation: a proof carries the card whose key signed the
// checkpoint it proves against: after the rotation, the new one; with the
// newer checkpoints removed, the old one.
func TestProofAfterARotation(t *testing.T) {
	path, first, a, rotated := rotatedLog(t)
	r := openReader(t, path)
	p, err := r.Prove(2)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if string(p.Card) != string(rotated.cardJSON(t)) {
		t.Fatalf("proved with card %s, want the rotated card", p.Card)
	}
	tamper(t, path, func(b *buckets) error {
		var later [][]byte
		c := b.checkpoints.Cursor()
		for k, _ := c.Seek(itob(first.Latest.Size + 1)); k != nil; k, _ = c.Next() {
			later = append(later, bytes.Clone(k))
		}
		if len(later) == 0 {
			return fmt.Errorf("no checkpoint after the rotation")
		}
		for _, k := range later {
			if err := b.checkpoints.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	r = openReader(t, path)
	p, err = r.Prove(2)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, err := CheckProof(p, nil)
	if err != nil {
		t.Fatalf("proof with its own card: %v", err)
	}
	if cp.Size != first.Latest.Size || string(p.Card) != string(a.cardJSON(t)) {
		t.Fatalf("proved against size %d with card %s; want size %d and the card before the rotation", cp.Size, p.Card, first.Latest.Size)
	}
}

func TestRecordBytes(t *testing.T) {
	r := &Record{Seq: 3, Time: time.Unix(5, 0), Type: TypeAccess, Actor: "clerk"}
	if b := r.Bytes(); string(b) != string(r.encode()) || r.Hash() != tlog.RecordHash(r.encode()) {
		t.Fatalf("Bytes of a record built in memory: %x", b)
	}
}
