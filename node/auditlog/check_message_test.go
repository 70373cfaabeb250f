package auditlog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// TestVerifyMessageFailureSaysWhatJudgedIt: a received message that fails
// is said to be judged by the roster in force only when there is one, and a
// message the node sent never is (its own cards judge it).
func TestVerifyMessageFailureSaysWhatJudgedIt(t *testing.T) {
	w := newRosterWorld(t)
	stranger, err := identity.Generate(testNetwork, "ml-pj", "Agency ml-pj", "ML", protocol.KindClassic, w.t0.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Before any roster record: the cards decide, and the stranger has none.
	_, err = w.verify(w.received(stranger, w.t0.Add(time.Minute)))
	wantTrustFailure(t, err, 2, "unknown")
	if strings.Contains(err.Error(), "roster") {
		t.Errorf("no roster in force, yet the failure names one: %v", err)
	}

	r1 := w.roster(1, w.t0, nil, member(w.own, protocol.StatusActive, w.t0), member(w.peer, protocol.StatusActive, w.t0))
	_, err = w.verify(w.config(), w.rosterEntry(r1), w.received(stranger, w.t0.Add(time.Minute)))
	wantTrustFailure(t, err, 4, "judged by roster serial 1 in force at this record")

	// A sent record whose message the node's own key did not sign.
	sent := w.received(stranger, w.t0.Add(time.Minute))
	sent.Type, sent.Actor = auditlog.TypeSent, "prosecutor"
	_, err = w.verify(w.config(), w.rosterEntry(r1), sent)
	wantTrustFailure(t, err, 4, "sent record")
	if strings.Contains(err.Error(), "judged by roster") {
		t.Errorf("a sent message is judged by the own cards, yet the failure names the roster: %v", err)
	}
}

// TestVerifyRecordAgreesWithItsMessage: the record's message id and actor
// must be those of the signed message or receipt it holds.
func TestVerifyRecordAgreesWithItsMessage(t *testing.T) {
	w := newRosterWorld(t)
	other := protocol.NewMessageID(w.t0.Add(time.Hour))

	rec := w.received(w.peer, w.t0.Add(time.Minute))
	rec.MessageID = other
	_, err := w.verify(rec)
	wantTrustFailure(t, err, 2, "the message's id is")

	rec = w.received(w.peer, w.t0.Add(time.Minute))
	rec.Actor = w.sec.Agency()
	_, err = w.verify(rec)
	wantTrustFailure(t, err, 2, "the record says from "+w.sec.Agency())

	rct := w.receipt(w.t0.Add(time.Minute))
	rct.MessageID = other
	_, err = w.verify(rct)
	wantTrustFailure(t, err, 2, "the receipt is about message")

	rct = w.receipt(w.t0.Add(time.Minute))
	rct.Actor = w.sec.Agency()
	_, err = w.verify(rct)
	wantTrustFailure(t, err, 2, "the receipt is from "+w.peer.Agency())

	// A sent record holds a message the node itself sealed.
	mine, err := seal.Seal(w.own, []*protocol.MemberCard{w.peer.Card}, protocol.TypeLead, protocol.Example(protocol.TypeLead), seal.Options{Now: w.t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	sent := auditlog.Entry{Type: auditlog.TypeSent, Actor: "prosecutor", MessageID: mine.Header.ID, Payload: mine.Raw}
	if rep, err := w.verify(sent); err != nil || rep.MessagesChecked != 1 {
		t.Errorf("a sent record of the node's own message: %+v, %v", rep, err)
	}
	theirs := w.received(w.peer, w.t0.Add(time.Minute))
	theirs.Type, theirs.Actor = auditlog.TypeSent, "prosecutor"
	_, err = w.verify(theirs)
	wantTrustFailure(t, err, 2, "a message the node sent is from "+w.peer.Agency())

	// Without a message id in the record, the message's own decides.
	rec = w.received(w.peer, w.t0.Add(time.Minute))
	rec.MessageID = ""
	if _, err := w.verify(rec); err != nil {
		t.Errorf("a received record without a message id: %v", err)
	}
}
