package auditlog

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// wantWhat checks that a failure says what it is about.
func wantWhat(t *testing.T, ve *VerifyError, what string) {
	t.Helper()
	if !strings.Contains(ve.What, what) {
		t.Fatalf("failure %q does not say %q", ve.What, what)
	}
}

// TestTamperStalePrevious replaces one record's payload and rebuilds the
// tree, but leaves the next record's previous hash pointing at the record
// as it was: the checkpoint its commit signed no longer matches, and names
// that one record.
func TestTamperStalePrevious(t *testing.T) {
	f := newFixture(t)
	const k = 22
	forged := []byte("a message the node never sent")
	rewriteKeeping(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		if recs[k].Type != TypeSent {
			t.Fatalf("fixture changed: record %d is %s", k, recs[k].Type)
		}
		recs[k].PayloadHash, recs[k].PayloadSize = sha256.Sum256(forged), int64(len(forged))
		payloads[k] = forged
		return recs, payloads
	}, true, k+1)
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, k, false)
	wantWhat(t, ve, "does not match the records' root hash")
}

// TestTamperTimeGoesBackwards dates one record, rehashed, a second before
// its predecessor.
func TestTamperTimeGoesBackwards(t *testing.T) {
	f := newFixture(t)
	const k = 33
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		recs[k].Time = recs[k-1].Time.Add(-time.Second)
		return recs, payloads
	}, true)
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, k, false)
	wantWhat(t, ve, "time goes backwards")
}

// TestTamperNewestCheckpointDeleted removes the newest checkpoint: the
// records of the last commit are no longer covered, which every commit
// signing rules out, so verify reports them (point 1 of issue #13).
func TestTamperNewestCheckpointDeleted(t *testing.T) {
	f := newFixture(t)
	final, s := f.latest.Size, f.sizes[len(f.sizes)-2]
	tamper(t, f.path, func(b *buckets) error { return b.checkpoints.Delete(itob(final)) })
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindUncovered, s, false)
	if ve.Through != final-1 || ve.LastGood == nil || ve.LastGood.Size != s {
		t.Fatalf("uncovered failure %+v: want records %d to %d after the checkpoint of size %d", ve, s, final-1, s)
	}
}

// TestGivenCheckpointBeyondTheLogUnknownKey gives Verify a checkpoint that
// claims more records than the log holds, signed by a key the log never
// had: a trust failure, not a truncation alarm, since anyone can sign a
// big number.
func TestGivenCheckpointBeyondTheLogUnknownKey(t *testing.T) {
	f := newFixture(t)
	stranger := newAgency(t, "wacap", "sn-pj-dakar")
	signer, err := newNoteSigner(f.latest.Origin, stranger.key)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := signCheckpoint(signer, f.latest.Size+100, f.latest.Root)
	if err != nil {
		t.Fatal(err)
	}
	ve := wantFailure(t, f.verify(t, VerifyOptions{Checkpoint: forged.Note}), KindTrust, f.latest.Size+100, true)
	wantWhat(t, ve, "not signed by this log's key")

	// The same claim signed by the log's key is a truncation.
	own, err := newNoteSigner(f.latest.Origin, f.a.key)
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := signCheckpoint(own, f.latest.Size+100, f.latest.Root)
	if err != nil {
		t.Fatal(err)
	}
	wantFailure(t, f.verify(t, VerifyOptions{Checkpoint: genuine.Note}), KindTruncation, f.latest.Size, false)
}

// TestConsistencyProofBacksTheRootCheck runs the verification pass with a
// given checkpoint, then hands the end of the verification a checkpoint of
// the same size with another root, as if the root check at its size had
// been lost: the consistency proof from the stored tree hashes refuses it
// on its own.
func TestConsistencyProofBacksTheRootCheck(t *testing.T) {
	f := newFixture(t)
	r := openReader(t, f.path)
	cps, err := r.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	given := cps[2]
	v := &verifier{ctx: context.Background(), o: VerifyOptions{Card: f.a.card, Checkpoint: given.Note, Workers: 1}, rep: &Report{Origin: r.origin, Anchored: true}, given: given}
	err = r.db.View(func(tx *bolt.Tx) error {
		b, err := readBuckets(tx)
		if err != nil {
			return err
		}
		v.b, v.origin, v.frontier = b, r.origin, newFrontier()
		if err := v.checkpointCursor(); err != nil {
			return err
		}
		v.msgs = startMessageChecks(nil, 1)
		err = v.records()
		if werr := v.msgs.wait(); err == nil && werr != nil {
			err = werr
		}
		if err != nil {
			return err
		}
		if v.rep.Given == nil || v.rep.Given.Root != given.Root {
			t.Fatalf("the pass did not check the given checkpoint: %+v", v.rep.Given)
		}
		other := *v.rep.Given
		other.Root[0] ^= 1
		v.rep.Given = &other
		return v.end()
	})
	ve := wantFailure(t, err, KindFork, given.Size, true)
	wantWhat(t, ve, "consistency proof from the checkpoint given")
}
