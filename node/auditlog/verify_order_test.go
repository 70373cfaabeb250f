package auditlog

import (
	"crypto/sha256"
	"fmt"
	"testing"
)

// TestAlteredRecordsNamedBeforeTheirCheckpointSignature alters one record
// and rebuilds the tree, and also breaks the signature of the checkpoint
// that covers it, one older than the newest: the pass reaches the records
// first, so the failure names them (the records between the last good
// checkpoint and that one, which no longer match its root), and the
// signature of that checkpoint, checked on the workers, does not take its
// place.
func TestAlteredRecordsNamedBeforeTheirCheckpointSignature(t *testing.T) {
	f := newFixture(t)
	const k = 22
	s := f.firstCheckpointAfter(t, k)
	if s == f.latest.Size {
		t.Fatalf("fixture changed: the checkpoint after record %d is the newest", k)
	}
	var before int64
	for _, c := range f.sizes {
		if c <= k {
			before = c
		}
	}
	forged := []byte("a message the node never sent")
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		recs[k].PayloadHash, recs[k].PayloadSize = sha256.Sum256(forged), int64(len(forged))
		payloads[k] = forged
		return recs, payloads
	}, true)
	tamper(t, f.path, func(b *buckets) error {
		return b.checkpoints.Put(itob(s), corruptNoteSignature(t, b.checkpoints.Get(itob(s))))
	})
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, before, false)
	wantWhat(t, ve, "does not match the records' root hash")
	wantWhat(t, ve, fmt.Sprintf("a record after record %d and before %d was altered", before-1, s))
	if ve.Through != s-1 {
		t.Fatalf("the failure names records %d to %d, want %d to %d", ve.Index, ve.Through, before, s-1)
	}
}

// TestNewestCheckpointSignatureNamedBeforeItsRecords is the same double
// fault at the newest checkpoint: its signature is checked as the pass
// reaches it, before its root, so the failure is that signature's, at the
// checkpoint.
func TestNewestCheckpointSignatureNamedBeforeItsRecords(t *testing.T) {
	f := newFixture(t)
	s := f.latest.Size
	k := s - 1
	forged := []byte("a message the node never sent")
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		recs[k].PayloadHash, recs[k].PayloadSize = sha256.Sum256(forged), int64(len(forged))
		payloads[k] = forged
		return recs, payloads
	}, true)
	tamper(t, f.path, func(b *buckets) error {
		return b.checkpoints.Put(itob(s), corruptNoteSignature(t, b.checkpoints.Get(itob(s))))
	})
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, s, true)
	wantWhat(t, ve, "checkpoint signature does not verify")
}
