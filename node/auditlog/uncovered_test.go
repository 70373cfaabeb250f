package auditlog

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// forgeAppend appends e to the stopped log at path as someone with write
// access to the file but not the key would: a correctly chained record,
// its payload and its tree hashes recomputed, and nothing signed.
func forgeAppend(t testing.TB, path string, e Entry) {
	t.Helper()
	tamper(t, path, func(b *buckets) error {
		n, err := size(b)
		if err != nil {
			return err
		}
		last, err := decodeRecord(b.records.Get(itob(n - 1)))
		if err != nil {
			return err
		}
		rec := Record{Seq: n, Time: last.Time.Add(time.Second), Type: e.Type, Actor: e.Actor, MessageID: e.MessageID,
			Prev: last.Hash(), PayloadHash: sha256.Sum256(e.Payload), PayloadSize: int64(len(e.Payload))}
		raw := rec.encode()
		if err := b.records.Put(itob(n), raw); err != nil {
			return err
		}
		if err := b.payloads.Put(itob(n), e.Payload); err != nil {
			return err
		}
		hashes, err := tlog.StoredHashesForRecordHash(n, tlog.RecordHash(raw), bucketHashReader(b.hashes))
		if err != nil {
			return err
		}
		for j, h := range hashes {
			if err := b.hashes.Put(itob(tlog.StoredHashIndex(0, n)+int64(j)), h[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestForgedTailRefusedAtOpen is the forgery of issue #13: a correctly
// chained "access" record appended to a stopped node's log. The log
// refuses to open for writing, never signs it (held, it takes nothing),
// verify reports it as uncovered, and Restart starts a new log that names
// the old one's last good checkpoint.
func TestForgedTailRefusedAtOpen(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 10, 0)
	good, err := verify(t, path, VerifyOptions{Card: a.card})
	if err != nil {
		t.Fatal(err)
	}
	n := good.Records
	forgeAppend(t, path, Entry{Type: TypeAccess, Actor: "prosecutor awa", Payload: []byte(`{"action":"read"}`)})

	var ue *UncoveredError
	if _, err := Open(path, a.options()); !errors.As(err, &ue) || ue.Records != n+1 || ue.Covered() != n {
		t.Fatalf("open after the forgery: %v, want records %d and up uncovered", err, n)
	}
	o := a.options()
	o.HoldUncovered = true
	l := openLog(t, path, o)
	if l.Uncovered() == nil {
		t.Fatal("held log does not say why")
	}
	if _, err := l.Append(context.Background(), entry(1, peer)); !errors.As(err, &ue) {
		t.Fatalf("held log took a record: %v", err)
	}
	if _, err := l.Checkpoint(); !errors.As(err, &ue) {
		t.Fatalf("held log signed: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("close of a held log: %v", err)
	}
	r := openReader(t, path)
	if latest, err := r.Latest(); err != nil || latest.Size != n {
		t.Fatalf("latest checkpoint after the held open: %v, %v; want size %d, the forgery never signed", latest, err, n)
	}
	r.Close()
	ve := wantFailure(t, func() error { _, err := verify(t, path, VerifyOptions{Card: a.card}); return err }(), KindUncovered, n, false)
	if ve.Through != n || ve.LastGood == nil || ve.LastGood.Size != n {
		t.Fatalf("uncovered failure %+v", ve)
	}

	res, err := Restart(context.Background(), path, a.options())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(res.OldPath); err != nil {
		t.Fatalf("the old log was not kept: %v", err)
	}
	if res.LastGood == nil || res.LastGood.Size != n || res.Record.Checkpoint != string(good.Latest.Note) || res.Record.OldRecords != n+1 {
		t.Fatalf("restart %+v, want the old log's checkpoint of size %d", res.Record, n)
	}
	if _, err := verify(t, res.OldPath, VerifyOptions{Card: a.card}); err == nil {
		t.Fatal("the old log verifies after the restart")
	}
	l = openLog(t, path, a.options())
	if _, err := l.Append(context.Background(), entry(1, peer)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := verify(t, path, VerifyOptions{Card: a.card})
	if err != nil || rep.Records != 3 {
		t.Fatalf("the new log: %+v, %v", rep, err)
	}
	r = openReader(t, path)
	rec, err := r.Record(1)
	if err != nil || rec.Type != TypeRestart {
		t.Fatalf("record 1 of the new log: %v, %v", rec, err)
	}
	p, _ := r.Payload(1)
	if got, err := DecodeRestart(p); err != nil || got.Checkpoint != string(good.Latest.Note) {
		t.Fatalf("restart record %s: %v", p, err)
	}
}

// TestOpenChecksTheNewestCheckpointSignature: a checkpoint covering the
// forged record, signed by another key, does not make the log open.
func TestOpenChecksTheNewestCheckpointSignature(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 3, 0)
	forgeAppend(t, path, Entry{Type: TypeAccess, Actor: "prosecutor awa", Payload: []byte(`{"action":"read"}`)})
	thief := newAgency(t, "wacap", "sn-pj-dakar")
	tamper(t, path, func(b *buckets) error {
		n, _ := size(b)
		root, err := tlog.TreeHash(n, bucketHashReader(b.hashes))
		if err != nil {
			return err
		}
		s, _ := newNoteSigner(Origin("wacap", "sn-pj-dakar"), thief.key)
		cp, err := signCheckpoint(s, n, root)
		if err != nil {
			return err
		}
		return b.checkpoints.Put(itob(n), cp.Note)
	})
	if _, err := Open(path, a.options()); err == nil {
		t.Fatal("opened a log whose newest checkpoint another key signed")
	}
}

// TestFormatOneStillOpens: a log written before every commit signed says
// format 1; it verifies, opens, and its first commit marks it format 2.
func TestFormatOneStillOpens(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 3, 0)
	tamper(t, path, func(b *buckets) error { return b.meta.Put([]byte(metaFormat), []byte(formatIDV1)) })
	if _, err := verify(t, path, VerifyOptions{Card: a.card}); err != nil {
		t.Fatalf("a format 1 log: %v", err)
	}
	l := openLog(t, path, a.options())
	if _, err := l.Append(context.Background(), entry(1, peer)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	tamper(t, path, func(b *buckets) error {
		if f := string(b.meta.Get([]byte(metaFormat))); f != formatID {
			return errors.New("format " + f + " after a commit, want " + formatID)
		}
		return nil
	})
}
