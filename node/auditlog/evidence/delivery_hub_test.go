package evidence_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/protocol"
)

// TestDeliveryJudgedAtTheHubsTime: a receipt signed with the recipient's
// previous key is judged, as the sender's node judged it, at the later of
// its own time and the hub's storage time, which its record carries: a
// receipt dated inside the key's overlap but stored after it is refused.
func TestDeliveryJudgedAtTheHubsTime(t *testing.T) {
	w := newWorld(t)
	until := w.t0.Add(30 * time.Second)
	// The recipient rotated: w.intruder's key is its previous key, valid
	// until `until`.
	var members []protocol.RosterMember
	for _, id := range []*protocol.MemberCard{w.sender.Card, w.to.Card, w.sec.Card} {
		m := protocol.RosterMember{Card: *id, Status: protocol.StatusActive, Since: protocol.NewTime(w.t0.Add(-24 * time.Hour))}
		if id.Agency == w.to.Agency() {
			m.Previous = []protocol.PreviousKey{{SigningKey: w.intruder.Card.SigningKey, ValidUntil: protocol.NewTime(until)}}
		}
		members = append(members, m)
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Card.Agency < members[j].Card.Agency })
	r := &protocol.Roster{Version: protocol.RosterVersion, Network: network, Serial: 5, Kind: protocol.KindClassic,
		Issued: protocol.NewTime(w.t0.Add(-time.Hour)), Expires: protocol.NewTime(w.t0.Add(365 * 24 * time.Hour)), Secretariat: w.sec.Agency(), Members: members}
	payload, err := r.Marshal()
	must(t, err)
	w.roster, err = jws.Sign(w.sec.Signing, protocol.RosterType, nil, payload)
	must(t, err)

	m := w.message()
	receipt := func(stored time.Time) auditlog.Entry {
		e := w.receipt(w.intruder, m, protocol.ReceiptDelivered, w.t0.Add(10*time.Second), nil)
		e.Hub = &auditlog.HubStamp{Stored: stored, Seq: 7}
		return e
	}
	d, err := w.prove(m, sent(m), receipt(w.t0.Add(20*time.Second)))
	must(t, err)
	res, err := evidence.CheckDelivery(d, w.secKey())
	if err != nil || !res.DeliveredStored.Equal(w.t0.Add(20*time.Second)) {
		t.Fatalf("stored inside the overlap: %v, %+v", err, res)
	}
	d, err = w.prove(m, sent(m), receipt(w.t0.Add(time.Minute)))
	must(t, err)
	_, err = evidence.CheckDelivery(d, w.secKey())
	var de *evidence.DeliveryError
	if !errors.As(err, &de) || de.Part != "delivered" || !de.Trust || !strings.Contains(de.Msg, "was replaced and trusted until") {
		t.Fatalf("stored after the overlap: %v", err)
	}
}
