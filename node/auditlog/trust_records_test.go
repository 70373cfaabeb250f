package auditlog_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// TestVerifyRosterRecordsMore: the first roster record is checked as
// strictly as the next ones, a roster of another network is refused even
// when the pinned key signed it, and a config record that pins no key
// leaves the pin as it was.
func TestVerifyRosterRecordsMore(t *testing.T) {
	w := newRosterWorld(t)
	members := []protocol.RosterMember{member(w.own, protocol.StatusActive, w.t0), member(w.peer, protocol.StatusActive, w.t0)}
	forged := w.roster(1, w.t0, w.peer, members...)
	_, err := w.verify(w.config(), w.rosterEntry(forged))
	wantTrustFailure(t, err, 3, "not the pinned secretariat key")

	// The same roster, for another network, signed by the pinned key.
	var r protocol.Roster
	p, err := jws.Parse(w.roster(1, w.t0, nil, members...), protocol.RosterType, protocol.MaxSignedRosterSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(p.Payload, &r); err != nil {
		t.Fatal(err)
	}
	r.Network = "ecowas"
	for i := range r.Members {
		r.Members[i].Card.Network = r.Network
	}
	payload, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	other, err := jws.Sign(w.sec.Signing, protocol.RosterType, nil, payload)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.verify(w.config(), w.rosterEntry(other))
	wantTrustFailure(t, err, 3, `roster is for network "ecowas", not "wacap"`)

	// A config record without secretariat_key, then a roster: the pin of
	// the config before still holds.
	noPin := auditlog.Entry{Type: auditlog.TypeConfig, Actor: "operator", Payload: []byte(`{"network":"wacap"}`)}
	r1 := w.roster(1, w.t0, nil, members...)
	if _, err := w.verify(w.config(), noPin, w.rosterEntry(r1), w.received(w.peer, w.t0.Add(time.Minute))); err != nil {
		t.Fatalf("a config record without a key after one with it: %v", err)
	}
	_, err = w.verify(noPin, w.rosterEntry(r1))
	wantTrustFailure(t, err, 3, "pins the secretariat's key")
}
