package auditlog

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The auditor's findings of point 6 of issue #13, each where the fault is.

// TestVerifyReportsStructureAsIntegrity: a deleted bucket or a changed
// format opens, and verify reports it as an integrity failure (which the
// CLI gives exit code 3 and a JSON report), not as a file it could not
// read.
func TestVerifyReportsStructureAsIntegrity(t *testing.T) {
	for name, edit := range map[string]func(tx *bolt.Tx) error{
		"deleted bucket": func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte(bucketHashes)) },
		"changed format": func(tx *bolt.Tx) error {
			return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaFormat), []byte("casenode-audit-log/9"))
		},
		"deleted meta": func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte(bucketMeta)) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			tamperTx(t, f.path, edit)
			wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, 0, false)
		})
	}
}

// TestVerifyReportsUnknownBuckets: a bucket no audit log has is reported,
// by name.
func TestVerifyReportsUnknownBuckets(t *testing.T) {
	f := newFixture(t)
	tamperTx(t, f.path, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("extra")); return err })
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, 0, false)
	wantWhat(t, ve, `unknown bucket "extra"`)
}

// TestVerifyReportsAJunkKeyWhereItSorts: a key that is no record's sorts
// after every record: it is reported there, after the last record, not at
// record 0.
func TestVerifyReportsAJunkKeyWhereItSorts(t *testing.T) {
	f := newFixture(t)
	n := f.latest.Size
	tamper(t, f.path, func(b *buckets) error { return b.records.Put([]byte("junk"), []byte("x")) })
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, n, false)
	wantWhat(t, ve, fmt.Sprintf("a key that is no record's follows record %d", n-1))
}

// TestProveANonexistentRecord: the record does not exist, which is not the
// same as not yet covered.
func TestProveANonexistentRecord(t *testing.T) {
	f := newFixture(t)
	r := openReader(t, f.path)
	_, err := r.Prove(99)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "record 99 does not exist") || errors.Is(err, ErrNotCovered) {
		t.Fatalf("prove of record 99 of %d: %v", f.latest.Size, err)
	}
}

// tamperTx edits the file at path in one bbolt transaction.
func tamperTx(t testing.TB, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyReportsADeletedRecordWhereTheGapIs: a record deleted, the
// later ones renumbered and every hash recomputed; the checkpoint of the
// commit that wrote the deleted record no longer matches, and the failure
// names that record, not a later checkpoint.
func TestVerifyReportsADeletedRecordWhereTheGapIs(t *testing.T) {
	f := newFixture(t)
	const k = 30
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		return append(recs[:k:k], recs[k+1:]...), append(payloads[:k:k], payloads[k+1:]...)
	}, true)
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, k, false)
	if ve.Through != k || ve.LastGood == nil || ve.LastGood.Size != k {
		t.Fatalf("failure %+v, want it at record %d, after the checkpoint of size %d", ve, k, k)
	}
}
