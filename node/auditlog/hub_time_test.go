package auditlog_test

import (
	"testing"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// TestVerifyJudgesAtTheHubsTime is point 3 of issue #13: a message created
// while the sender's previous key was still valid, but stored by the hub
// after that key was retired, is judged at the later of the two times, as
// the node judged it (and refused it). A received record written before
// the hub's stamp was recorded (version 1) is still judged at its creation
// alone.
func TestVerifyJudgesAtTheHubsTime(t *testing.T) {
	w := newRosterWorld(t)
	t1, t2 := w.t0.Add(time.Hour), w.t0.Add(2*time.Hour) // rotation, end of the overlap
	r1 := w.roster(1, w.t0, nil, member(w.own, protocol.StatusActive, w.t0), member(w.peer, protocol.StatusActive, w.t0))
	prev := protocol.PreviousKey{SigningKey: w.peer.Card.SigningKey, ValidUntil: protocol.NewTime(t2)}
	r2 := w.roster(2, t1, nil, member(w.own, protocol.StatusActive, w.t0), member(w.peer2, protocol.StatusActive, t1, prev))
	base := []auditlog.Entry{w.config(), w.rosterEntry(r1), w.rosterEntry(r2)}

	created := t2.Add(-time.Minute) // the previous key is still valid
	late := w.received(w.peer, created)
	late.Hub = &auditlog.HubStamp{Stored: t2.Add(time.Hour), Seq: 7} // the hub stored it after the key's end
	_, err := w.verify(append(base, late)...)
	wantTrustFailure(t, err, int64(len(base))+2, "trusted until")

	onTime := w.received(w.peer, created)
	onTime.Hub = &auditlog.HubStamp{Stored: created.Add(time.Second), Seq: 8}
	if _, err := w.verify(append(base, onTime)...); err != nil {
		t.Fatalf("a message stored while its key was valid: %v", err)
	}

	old := w.received(w.peer, created) // version 1: no stamp
	if _, err := w.verify(append(base, old)...); err != nil {
		t.Fatalf("a version 1 received record: %v", err)
	}

	// A receipt is judged the same way.
	receipt := w.receipt(created)
	receipt.Hub = &auditlog.HubStamp{Stored: t2.Add(time.Hour), Seq: 9}
	rotatedBase := base
	_, err = w.verify(append(rotatedBase, receipt)...)
	wantTrustFailure(t, err, int64(len(base))+2, "")
}
