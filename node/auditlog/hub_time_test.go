package auditlog_test

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
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

// TestVerifyChecksPartnerCardsAgainstTheRoster: point 6 of issue #13. A key
// record of another agency after a roster record must be that roster's
// card; before the first roster nothing can check it, and the report
// counts it apart.
func TestVerifyChecksPartnerCardsAgainstTheRoster(t *testing.T) {
	w := newRosterWorld(t)
	r1 := w.roster(1, w.t0, nil, member(w.own, protocol.StatusActive, w.t0), member(w.peer, protocol.StatusActive, w.t0))
	keyOf := func(c *protocol.MemberCard) auditlog.Entry {
		b, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return auditlog.Entry{Type: auditlog.TypeKey, Actor: c.Agency, Payload: b}
	}
	rep, err := w.verify(w.config(), w.rosterEntry(r1), keyOf(w.peer.Card))
	if err != nil {
		t.Fatal(err)
	}
	// verify records the peer's card before anything: that one precedes
	// the roster.
	if rep.CardsChecked != 1 || rep.CardsBeforeRoster != 1 {
		t.Fatalf("cards checked %d, before the roster %d; want 1 and 1", rep.CardsChecked, rep.CardsBeforeRoster)
	}
	// A card the roster in force does not hold: the peer's rotated card,
	// which roster 1 does not list.
	_, err = w.verify(w.config(), w.rosterEntry(r1), keyOf(w.peer2.Card))
	wantTrustFailure(t, err, 4, "is not the card roster serial 1")
	_, err = w.verify(w.config(), w.rosterEntry(r1), keyOf(w.sec.Card), keyOf(w.peer2.Card))
	wantTrustFailure(t, err, 5, "is not the card roster serial 1")
}

// TestVerifyOwnRotationUnderARoster rotates the log's own key while a
// roster that still lists the old card is in force: the new own card is the
// log's to give, not the roster's, so it is neither checked against that
// roster (which would call the rotation a foreign card) nor counted among
// the partners' cards.
func TestVerifyOwnRotationUnderARoster(t *testing.T) {
	w := newRosterWorld(t)
	r1 := w.roster(1, w.t0, nil, member(w.own, protocol.StatusActive, w.t0), member(w.peer, protocol.StatusActive, w.t0))
	rotated, err := identity.Generate(testNetwork, w.own.Agency(), "Agency "+w.own.Agency(), "SN", protocol.KindClassic, w.t0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), auditlog.FileName)
	l, err := auditlog.Open(path, auditlog.Options{Card: w.own.Card, Key: w.own.Signing})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []auditlog.Entry{w.config(), w.rosterEntry(r1)} {
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = auditlog.Open(path, auditlog.Options{Card: rotated.Card, Key: rotated.Signing, PreviousKeys: []ed25519.PublicKey{w.own.Card.PublicKey()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep, err := r.Verify(context.Background(), auditlog.VerifyOptions{Card: w.own.Card})
	if err != nil {
		t.Fatalf("a rotation under a roster: %v", err)
	}
	if len(rep.OwnKeys) != 2 || rep.OwnKeys[1] != rotated.Card.KeyID() || rep.CardsChecked != 0 {
		t.Fatalf("own keys %v, cards checked %d; want the two own keys and no partner card", rep.OwnKeys, rep.CardsChecked)
	}
}
