package auditlog

import (
	"crypto/sha256"
	"testing"
)

// TestKeyRecordWithoutACard rewrites, rehashed, the peer's key record (record
// 1) into one whose payload is no member card: an integrity failure at
// record 1 that says so.
func TestKeyRecordWithoutACard(t *testing.T) {
	f := newFixture(t)
	junk := []byte(`{"v":1,"network":"wacap"}`)
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		if recs[1].Type != TypeKey {
			t.Fatalf("fixture changed: record 1 is %s", recs[1].Type)
		}
		recs[1].PayloadHash, recs[1].PayloadSize = sha256.Sum256(junk), int64(len(junk))
		payloads[1] = junk
		return recs, payloads
	}, true)
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, 1, false)
	wantWhat(t, ve, "key record does not hold a valid member card")
}
