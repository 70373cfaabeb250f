package auditlog

import (
	"crypto/sha256"
	"testing"
)

// TestRestartRecordNamingAnotherLog rewrites a log, rehashed, so that its
// record 1 is a restart record that vouches for another agency's log, by
// that log's own signed checkpoint: a trust failure at record 1, which
// names both origins.
func TestRestartRecordNamingAnotherLog(t *testing.T) {
	f := newFixture(t)
	other := newAgency(t, "wacap", "ne-mj-niamey")
	opath := testPath(t)
	buildLog(t, opath, other, f.peer, 3, 0)
	orep, err := verify(t, opath, VerifyOptions{Card: other.card})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := (&RestartRecord{Version: 1, OldFile: "audit.db.broken", OldRecords: orep.Records, Checkpoint: string(orep.Latest.Note), Reason: "integrity failure"}).encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeRestart(payload); err != nil {
		t.Fatalf("the restart record itself: %v", err)
	}
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		recs[1].Type, recs[1].Actor, recs[1].MessageID = TypeRestart, f.a.card.Agency, ""
		recs[1].PayloadHash, recs[1].PayloadSize = sha256.Sum256(payload), int64(len(payload))
		payloads[1] = payload
		return recs, payloads
	}, true)
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindTrust, 1, false)
	wantWhat(t, ve, "the restart record names another log's checkpoint")
	if own := Origin("wacap", "sn-pj-dakar"); ve.Expected != own || ve.Found != orep.Origin {
		t.Fatalf("the failure names %q and %q, want %q and %q", ve.Expected, ve.Found, own, orep.Origin)
	}
}
