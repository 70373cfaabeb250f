package auditlog_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// rosterWorld is a network of three: the log's agency, a peer whose
// messages it receives, and the secretariat that signs the rosters.
type rosterWorld struct {
	t              *testing.T
	own, peer, sec *identity.Identity
	peer2          *identity.Identity // the peer's rotated keys
	t0             time.Time
}

const testNetwork = "wacap"

func newRosterWorld(t *testing.T) *rosterWorld {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	gen := func(agency string) *identity.Identity {
		id, err := identity.Generate(testNetwork, agency, "Agency "+agency, "SN", protocol.KindClassic, t0.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	return &rosterWorld{t: t, own: gen("sn-pj-dakar"), peer: gen("gh-ag"), sec: gen("wacap-sec"), peer2: gen("gh-ag"), t0: t0}
}

// member is a roster entry.
func member(id *identity.Identity, status protocol.MemberStatus, since time.Time, prev ...protocol.PreviousKey) protocol.RosterMember {
	return protocol.RosterMember{Card: *id.Card, Status: status, Since: protocol.NewTime(since), Previous: prev}
}

// roster returns the signed roster serial, issued at issued, of members
// and the secretariat, signed by key (the secretariat's if nil).
func (w *rosterWorld) roster(serial uint64, issued time.Time, key *identity.Identity, members ...protocol.RosterMember) []byte {
	w.t.Helper()
	members = append(members, member(w.sec, protocol.StatusActive, w.t0.Add(-24*time.Hour)))
	sort.Slice(members, func(i, j int) bool { return members[i].Card.Agency < members[j].Card.Agency })
	r := &protocol.Roster{Version: protocol.RosterVersion, Network: testNetwork, Serial: serial, Kind: protocol.KindClassic,
		Issued: protocol.NewTime(issued), Expires: protocol.NewTime(issued.Add(365 * 24 * time.Hour)), Secretariat: w.sec.Agency(), Members: members}
	if err := r.Validate(); err != nil {
		w.t.Fatal(err)
	}
	payload, err := r.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	if key == nil {
		key = w.sec
	}
	signed, err := jws.Sign(key.Signing, protocol.RosterType, nil, payload)
	if err != nil {
		w.t.Fatal(err)
	}
	return signed
}

func (w *rosterWorld) rosterEntry(signed []byte) auditlog.Entry {
	return auditlog.Entry{Type: auditlog.TypeRoster, Actor: w.sec.Agency(), Payload: signed}
}

// config is the config record of a node.json that pins the secretariat.
func (w *rosterWorld) config() auditlog.Entry {
	w.t.Helper()
	b, err := json.Marshal(map[string]any{"network": testNetwork, "agency": w.own.Agency(), "secretariat_key": w.sec.Card.SigningKey})
	if err != nil {
		w.t.Fatal(err)
	}
	return auditlog.Entry{Type: auditlog.TypeConfig, Actor: "operator", Payload: b}
}

// received is the received record of a message from's keys sealed at
// created.
func (w *rosterWorld) received(from *identity.Identity, created time.Time) auditlog.Entry {
	w.t.Helper()
	s, err := seal.Seal(from, []*protocol.MemberCard{w.own.Card}, protocol.TypeLead, protocol.Example(protocol.TypeLead), seal.Options{Now: created})
	if err != nil {
		w.t.Fatal(err)
	}
	return auditlog.Entry{Type: auditlog.TypeReceived, Actor: from.Agency(), MessageID: s.Header.ID, Payload: s.Raw}
}

// receipt is the receipt record of a delivered receipt the peer signed at at.
func (w *rosterWorld) receipt(at time.Time) auditlog.Entry {
	w.t.Helper()
	r := &protocol.Receipt{Version: protocol.ReceiptVersion, ID: protocol.NewMessageID(at), Network: testNetwork, From: w.peer.Agency(), To: w.own.Agency(),
		MessageID: protocol.NewMessageID(at), MessageHash: strings.Repeat("ab", 32), Kind: protocol.ReceiptDelivered, Time: protocol.NewTime(at)}
	payload, err := r.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	signed, err := jws.Sign(w.peer.Signing, protocol.ReceiptJWSType, nil, payload)
	if err != nil {
		w.t.Fatal(err)
	}
	return auditlog.Entry{Type: auditlog.TypeReceipt, Actor: w.peer.Agency(), MessageID: r.MessageID, Payload: signed}
}

// verify writes a log of the own card, the peer's card and entries, and
// verifies it with the message checks of 'casenode audit verify'. The
// index of entries[i] is i+2.
func (w *rosterWorld) verify(entries ...auditlog.Entry) (*auditlog.Report, error) {
	w.t.Helper()
	path := filepath.Join(w.t.TempDir(), auditlog.FileName)
	l, err := auditlog.Open(path, auditlog.Options{Card: w.own.Card, Key: w.own.Signing})
	if err != nil {
		w.t.Fatal(err)
	}
	card, err := w.peer.Card.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	entries = append([]auditlog.Entry{{Type: auditlog.TypeKey, Actor: w.peer.Agency(), Payload: card}}, entries...)
	for _, e := range entries {
		if _, err := l.Append(context.Background(), e); err != nil {
			w.t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		w.t.Fatal(err)
	}
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	defer r.Close()
	return r.Verify(context.Background(), auditlog.VerifyOptions{Card: w.own.Card, CheckMessage: auditlog.CheckMessage, Workers: 2})
}

// wantTrustFailure checks that err is a trust failure at index whose
// description holds what.
func wantTrustFailure(t *testing.T, err error, index int64, what string) {
	t.Helper()
	var ve *auditlog.VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("verify: %v, want a trust failure at record %d", err, index)
	}
	if ve.Kind != auditlog.KindTrust || ve.Index != index || !strings.Contains(ve.What, what) {
		t.Fatalf("verify: %v (kind %s, record %d), want a trust failure at record %d about %q", ve, ve.Kind, ve.Index, index, what)
	}
}

// TestVerifyJudgesByTheRosterInForce: a message or receipt received before
// a revocation stays valid even when recorded after the roster that revokes
// its sender; one created after the revocation is a trust failure.
func TestVerifyJudgesByTheRosterInForce(t *testing.T) {
	w := newRosterWorld(t)
	t1 := w.t0.Add(time.Hour) // the peer is revoked
	r1 := w.roster(1, w.t0, nil, member(w.own, protocol.StatusActive, w.t0), member(w.peer, protocol.StatusActive, w.t0))
	r2 := w.roster(2, t1, nil, member(w.own, protocol.StatusActive, w.t0), member(w.peer, protocol.StatusRevoked, t1))
	valid := []auditlog.Entry{
		w.config(),
		w.rosterEntry(r1),
		w.received(w.peer, w.t0.Add(10*time.Minute)),
		w.rosterEntry(r2),
		w.received(w.peer, w.t0.Add(50*time.Minute)),
		w.receipt(w.t0.Add(55 * time.Minute)),
	}
	rep, err := w.verify(valid...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.MessagesChecked != 3 {
		t.Errorf("%d messages checked, want 3", rep.MessagesChecked)
	}

	_, err = w.verify(append(valid, w.received(w.peer, t1.Add(time.Minute)))...)
	wantTrustFailure(t, err, int64(len(valid))+2, "revoked")
	_, err = w.verify(append(valid, w.receipt(t1.Add(time.Minute)))...)
	wantTrustFailure(t, err, int64(len(valid))+2, "revoked")

	// Without a roster record, the cards decide, as before: the peer's
	// card is trusted whatever the time.
	if _, err := w.verify(w.received(w.peer, t1.Add(time.Minute))); err != nil {
		t.Errorf("before any roster record: %v", err)
	}
}

// TestVerifyAcceptsPreviousKeyDuringOverlap: after a rotation, a message
// signed with the previous key verifies if created during the overlap, and
// is a trust failure after it; the new key verifies though no key record
// holds the new card.
func TestVerifyAcceptsPreviousKeyDuringOverlap(t *testing.T) {
	w := newRosterWorld(t)
	t1, t2 := w.t0.Add(time.Hour), w.t0.Add(2*time.Hour) // rotation, end of the overlap
	r1 := w.roster(1, w.t0, nil, member(w.own, protocol.StatusActive, w.t0), member(w.peer, protocol.StatusActive, w.t0))
	prev := protocol.PreviousKey{SigningKey: w.peer.Card.SigningKey, ValidUntil: protocol.NewTime(t2)}
	r2 := w.roster(2, t1, nil, member(w.own, protocol.StatusActive, w.t0), member(w.peer2, protocol.StatusActive, t1, prev))
	valid := []auditlog.Entry{
		w.config(),
		w.rosterEntry(r1),
		w.rosterEntry(r2),
		w.received(w.peer, t1.Add(30*time.Minute)),
		w.received(w.peer2, t1.Add(30*time.Minute)),
		w.received(w.peer2, t2.Add(time.Hour)),
	}
	if _, err := w.verify(valid...); err != nil {
		t.Fatal(err)
	}
	_, err := w.verify(append(valid, w.received(w.peer, t2.Add(time.Minute)))...)
	wantTrustFailure(t, err, int64(len(valid))+2, "trusted until")
}

// TestVerifyRosterRecords: roster records must verify with the pinned
// secretariat key of the config in force and move the serial strictly
// forward.
func TestVerifyRosterRecords(t *testing.T) {
	w := newRosterWorld(t)
	members := []protocol.RosterMember{member(w.own, protocol.StatusActive, w.t0), member(w.peer, protocol.StatusActive, w.t0)}
	r1 := w.roster(1, w.t0, nil, members...)
	r2 := w.roster(2, w.t0.Add(time.Hour), nil, members...)
	r2b := w.roster(2, w.t0.Add(2*time.Hour), nil, members...)
	forged := w.roster(3, w.t0.Add(time.Hour), w.peer, members...)

	if _, err := w.verify(w.config(), w.rosterEntry(r1), w.rosterEntry(r2), w.rosterEntry(r2)); err != nil {
		t.Fatalf("the same roster twice: %v", err)
	}
	cases := []struct {
		name    string
		entries []auditlog.Entry
		index   int64
		what    string
	}{
		{"no pinned key", []auditlog.Entry{w.rosterEntry(r1)}, 2, "pins the secretariat's key"},
		{"lower serial", []auditlog.Entry{w.config(), w.rosterEntry(r2), w.rosterEntry(r1)}, 4, "not above the serial 2 in force"},
		{"same serial, other bytes", []auditlog.Entry{w.config(), w.rosterEntry(r2), w.rosterEntry(r2b)}, 4, "two rosters signed with one serial"},
		{"not the pinned key", []auditlog.Entry{w.config(), w.rosterEntry(r1), w.rosterEntry(forged)}, 4, "not the pinned secretariat key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.verify(c.entries...)
			wantTrustFailure(t, err, c.index, c.what)
		})
	}
}
