package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// tamperFixture is a verified log of 60 entries, each its own commit, so
// with a checkpoint after each.
type tamperFixture struct {
	a, peer *agency
	path    string
	sizes   []int64 // stored checkpoint sizes, ascending
	latest  *Checkpoint
}

func newFixture(t *testing.T) *tamperFixture {
	t.Helper()
	f := &tamperFixture{a: newAgency(t, "wacap", "sn-pj-dakar"), peer: newAgency(t, "wacap", "gh-ag-accra"), path: testPath(t)}
	buildLog(t, f.path, f.a, f.peer, 60, 10)
	rep, err := verify(t, f.path, VerifyOptions{Card: f.a.card})
	if err != nil {
		t.Fatal(err)
	}
	f.latest = rep.Latest
	r := openReader(t, f.path)
	cps, err := r.Checkpoints()
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cps {
		f.sizes = append(f.sizes, c.Size)
	}
	return f
}

// firstCheckpointAfter returns the smallest stored checkpoint size above i.
func (f *tamperFixture) firstCheckpointAfter(t *testing.T, i int64) int64 {
	for _, s := range f.sizes {
		if s > i {
			return s
		}
	}
	t.Fatalf("no checkpoint after %d", i)
	return 0
}

func (f *tamperFixture) verify(t *testing.T, o VerifyOptions) error {
	t.Helper()
	if o.Card == nil {
		o.Card = f.a.card
	}
	_, err := verify(t, f.path, o)
	return err
}

func TestTamperRecordByte(t *testing.T) {
	for _, off := range []int{offVersion, offType, offSeq + 7, offTime + 7, offPrev + 3, offPayloadHash + 5, offPayloadSize + 7, fixedLen + 2, -1} {
		f := newFixture(t)
		const i = 17
		tamper(t, f.path, func(b *buckets) error {
			v := b.records.Get(itob(i))
			if off < 0 {
				off = len(v) - 1
			}
			return b.records.Put(itob(i), flip(v, off))
		})
		ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, i, false)
		if ve.LastGood == nil || ve.LastGood.Size > i {
			t.Fatalf("offset %d: last good checkpoint %v", off, ve.LastGood)
		}
	}
}

func TestTamperPayloadByte(t *testing.T) {
	f := newFixture(t)
	const i = 21
	tamper(t, f.path, func(b *buckets) error {
		return b.payloads.Put(itob(i), flip(b.payloads.Get(itob(i)), 3))
	})
	wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, i, false)
}

func TestTamperTreeHash(t *testing.T) {
	f := newFixture(t)
	// The level-1 hash over records 10 and 11 is written with record 11.
	x := tlog.StoredHashIndex(1, 5)
	tamper(t, f.path, func(b *buckets) error {
		return b.hashes.Put(itob(x), flip(b.hashes.Get(itob(x)), 0))
	})
	wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, 11, false)
}

func TestTamperSwapRecords(t *testing.T) {
	f := newFixture(t)
	const i = 30
	tamper(t, f.path, func(b *buckets) error {
		r1, r2 := bytes.Clone(b.records.Get(itob(i))), bytes.Clone(b.records.Get(itob(i+1)))
		p1, p2 := bytes.Clone(b.payloads.Get(itob(i))), bytes.Clone(b.payloads.Get(itob(i+1)))
		if err := b.records.Put(itob(i), r2); err != nil {
			return err
		}
		if err := b.records.Put(itob(i+1), r1); err != nil {
			return err
		}
		if err := b.payloads.Put(itob(i), p2); err != nil {
			return err
		}
		return b.payloads.Put(itob(i+1), p1)
	})
	wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, i, false)
}

func TestTamperDeleteLeavingGap(t *testing.T) {
	f := newFixture(t)
	const i = 40
	tamper(t, f.path, func(b *buckets) error {
		if err := b.records.Delete(itob(i)); err != nil {
			return err
		}
		return b.payloads.Delete(itob(i))
	})
	wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, i, false)
}

func TestTamperDeleteRenumbered(t *testing.T) {
	f := newFixture(t)
	const i = 40
	// Records after i move down by one, with their sequence numbers
	// rewritten; the hash chain and the tree are left as they were.
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		return append(recs[:i:i], recs[i+1:]...), append(payloads[:i:i], payloads[i+1:]...)
	}, false)
	wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, i, false)
}

func TestTamperForgedInsertRehashed(t *testing.T) {
	f := newFixture(t)
	const k = 20
	forged := []byte("a message the node never received")
	// A forged record goes in at k; every record after it gets a new
	// sequence number and previous hash, and the whole tree is rebuilt. Only
	// the signed checkpoints cannot be redone without the key.
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		rec := &Record{Time: recs[k].Time, Type: TypeReceived, Actor: f.peer.card.Agency, PayloadHash: sha256.Sum256(forged), PayloadSize: int64(len(forged))}
		recs = append(recs[:k:k], append([]*Record{rec}, recs[k:]...)...)
		payloads = append(payloads[:k:k], append([][]byte{forged}, payloads[k:]...)...)
		return recs, payloads
	}, true)
	// Reported where the record went in: the checkpoint the commit of
	// record k signed no longer matches (point 6 of issue #13).
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, k, false)
	if ve.Through != k || ve.Where() != fmt.Sprintf("record %d", k) {
		t.Fatalf("failure %+v, want it at record %d alone", ve, k)
	}
}

func TestTamperRewrittenAndResigned(t *testing.T) {
	f := newFixture(t)
	earlier := f.latest
	// The node's own key rewrites history: the same card, the same number of
	// records, one entry changed, every checkpoint signed anew.
	l := openLog(t, testPath(t), f.a.options())
	buildInto(t, l, f.peer, 60, 10, 33)
	rewritten := l.Reader.path
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	alone, err := verify(t, rewritten, VerifyOptions{Card: f.a.card})
	if err != nil {
		t.Fatalf("the rewritten log does not verify alone: %v", err)
	}
	if alone.Records != earlier.Size {
		t.Fatalf("rewritten log has %d records, want %d", alone.Records, earlier.Size)
	}
	_, err = verify(t, rewritten, VerifyOptions{Card: f.a.card, Checkpoint: earlier.Note})
	// The root check at the given checkpoint's size fires, before the
	// consistency proof at the end (TestConsistencyProofBacksTheRootCheck).
	ve := wantFailure(t, err, KindFork, earlier.Size, true)
	if !strings.Contains(ve.What, "differs from the checkpoint given") || !strings.Contains(ve.What, "root hash") {
		t.Fatalf("the failure is not the given checkpoint's root check: %v", ve)
	}
}

func TestTamperNewestRemoved(t *testing.T) {
	f := newFixture(t)
	earlier := f.latest
	const m = 50 // records kept
	tamper(t, f.path, func(b *buckets) error {
		for i := int64(m); i < earlier.Size; i++ {
			b.records.Delete(itob(i))
			b.payloads.Delete(itob(i))
		}
		for x := tlog.StoredHashCount(m); x < tlog.StoredHashCount(earlier.Size); x++ {
			b.hashes.Delete(itob(x))
		}
		return nil
	})
	// With the checkpoints beyond the cut still stored, the log gives itself
	// away.
	wantFailure(t, f.verify(t, VerifyOptions{}), KindTruncation, m, false)

	// Without them it verifies alone, cut at a commit: only an earlier
	// checkpoint (or the witness) catches it.
	tamper(t, f.path, func(b *buckets) error {
		for _, s := range f.sizes {
			if s > m {
				b.checkpoints.Delete(itob(s))
			}
		}
		return nil
	})
	if err := f.verify(t, VerifyOptions{}); err != nil {
		t.Fatalf("truncated log alone: %v", err)
	}
	wantFailure(t, f.verify(t, VerifyOptions{Checkpoint: earlier.Note}), KindTruncation, m, false)
}

func TestTamperCheckpointBadSignature(t *testing.T) {
	f := newFixture(t)
	s := f.sizes[1]
	tamper(t, f.path, func(b *buckets) error {
		signed := b.checkpoints.Get(itob(s))
		return b.checkpoints.Put(itob(s), corruptNoteSignature(t, signed))
	})
	wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, s, true)
}

func TestTamperCheckpointUnknownKey(t *testing.T) {
	f := newFixture(t)
	s := f.latest.Size
	stranger := newAgency(t, "wacap", "sn-pj-dakar")
	signer, err := newNoteSigner(f.latest.Origin, stranger.key)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := signCheckpoint(signer, f.latest.Size, f.latest.Root)
	if err != nil {
		t.Fatal(err)
	}
	tamper(t, f.path, func(b *buckets) error { return b.checkpoints.Put(itob(s), forged.Note) })
	wantFailure(t, f.verify(t, VerifyOptions{}), KindTrust, s, true)

	// A checkpoint given by the auditor that this log's key did not sign.
	g := newFixture(t)
	_, err = verify(t, g.path, VerifyOptions{Card: g.a.card, Checkpoint: forged.Note})
	var ve *VerifyError
	if !asVerifyError(err, &ve) || ve.Kind != KindTrust {
		t.Fatalf("got %v, want a trust failure", err)
	}
}

func TestTamperNonCanonicalRecord(t *testing.T) {
	for name, edit := range map[string]func([]byte) []byte{
		"trailing byte": func(v []byte) []byte { return append(bytes.Clone(v), 0) },
		"truncated":     func(v []byte) []byte { return bytes.Clone(v[:len(v)-1]) },
		"fixed part only": func(v []byte) []byte {
			return bytes.Clone(v[:fixedLen])
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			const i = 25
			tamper(t, f.path, func(b *buckets) error { return b.records.Put(itob(i), edit(b.records.Get(itob(i)))) })
			ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, i, false)
			if !bytes.Contains([]byte(ve.What), []byte("canonical")) {
				t.Fatalf("failure does not say the encoding is wrong: %v", ve)
			}
		})
	}
}

func TestTamperCheckpointRecordRemoved(t *testing.T) {
	f := newFixture(t)
	s := f.sizes[0]
	// Record s replaced by a config record, rehashed: the checkpoint its
	// commit signed no longer matches, and names it.
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		p := []byte("nothing to see")
		recs[s] = &Record{Time: recs[s].Time, Type: TypeConfig, Actor: "operator", PayloadHash: sha256.Sum256(p), PayloadSize: int64(len(p))}
		payloads[s] = p
		return recs, payloads
	}, true)
	wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, s, false)
}

func TestAnotherAgencysLog(t *testing.T) {
	f := newFixture(t)
	other := newAgency(t, "wacap", "ne-mj-niamey")
	_, err := verify(t, f.path, VerifyOptions{Card: other.card})
	wantFailure(t, err, KindTrust, 0, false)

	// The same agency id with a key the log never had.
	impostor := newAgency(t, "wacap", "sn-pj-dakar")
	_, err = verify(t, f.path, VerifyOptions{Card: impostor.card})
	wantFailure(t, err, KindTrust, 0, false)

	// Without a card, it verifies, and says whose it is.
	rep, err := verify(t, f.path, VerifyOptions{})
	if err != nil || rep.Anchored || rep.Origin != "casenode/wacap/sn-pj-dakar" {
		t.Fatalf("report %+v, %v", rep, err)
	}
}

// corruptNoteSignature flips a bit of the signature (not the key hash) in
// the first signature line of a signed note.
func corruptNoteSignature(t *testing.T, signed []byte) []byte {
	t.Helper()
	i := bytes.LastIndex(signed, []byte("\n\n"))
	line := signed[i+2:]
	sp := bytes.LastIndexByte(line, ' ')
	sig, err := base64.StdEncoding.DecodeString(string(bytes.TrimSuffix(line[sp+1:], []byte("\n"))))
	if err != nil {
		t.Fatal(err)
	}
	sig[10] ^= 0x01
	out := append(bytes.Clone(signed[:i+2]), line[:sp+1]...)
	out = append(out, base64.StdEncoding.EncodeToString(sig)...)
	return append(out, '\n')
}

// rewrite replaces the log's records and payloads with what fn returns,
// renumbered. With rehash, it also rebuilds the previous-hash chain and the
// whole tree, as an attacker with the file but without the key would.
func rewrite(t *testing.T, path string, fn func([]*Record, [][]byte) ([]*Record, [][]byte), rehash bool) {
	t.Helper()
	rewriteKeeping(t, path, fn, rehash, -1)
}

// rewriteKeeping is rewrite, except that record keep (if not negative)
// keeps the previous hash fn left it, as an attacker who forgot it would.
func rewriteKeeping(t *testing.T, path string, fn func([]*Record, [][]byte) ([]*Record, [][]byte), rehash bool, keep int) {
	t.Helper()
	tamper(t, path, func(b *buckets) error {
		var recs []*Record
		var payloads [][]byte
		c := b.records.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := DecodeRecord(v)
			if err != nil {
				return err
			}
			recs = append(recs, r)
			payloads = append(payloads, bytes.Clone(b.payloads.Get(k)))
		}
		old := len(recs)
		recs, payloads = fn(recs, payloads)
		for i := 0; i < max(old, len(recs)); i++ {
			b.records.Delete(itob(int64(i)))
			b.payloads.Delete(itob(int64(i)))
		}
		var prev tlog.Hash
		var hashes []tlog.Hash
		reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for j, x := range idx {
				out[j] = hashes[x]
			}
			return out, nil
		})
		for i, r := range recs {
			r.Seq = int64(i)
			if rehash && i != keep {
				r.Prev = prev
			}
			raw := r.encode()
			if err := b.records.Put(itob(int64(i)), raw); err != nil {
				return err
			}
			if err := b.payloads.Put(itob(int64(i)), payloads[i]); err != nil {
				return err
			}
			prev = tlog.RecordHash(raw)
			hs, err := tlog.StoredHashes(int64(i), raw, reader)
			if err != nil {
				return err
			}
			hashes = append(hashes, hs...)
		}
		if rehash {
			for x := int64(0); x < tlog.StoredHashCount(int64(max(old, len(recs)))); x++ {
				b.hashes.Delete(itob(x))
			}
			for x, h := range hashes {
				if err := b.hashes.Put(itob(int64(x)), bytes.Clone(h[:])); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// buildInto appends the fixture's stream to an open log, with entry change
// replaced: the same shape of log, with one entry different.
func buildInto(t *testing.T, l *Log, peer *agency, n, every, change int) {
	t.Helper()
	if _, err := l.Append(context.Background(), Entry{Type: TypeKey, Actor: peer.card.Agency, Payload: peer.cardJSON(t)}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		e := entry(i, peer)
		if i == change {
			e.Payload = []byte("what the node would rather have said " + time.Now().String())
		}
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if (i+1)%every == 0 {
			if _, err := l.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func asVerifyError(err error, ve **VerifyError) bool { return errors.As(err, ve) }
