package agency_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

// The tests of this file are the node's part of the threat model
// (docs/SECURITY.md).

// testClock is a clock the test moves forward; every node of a network
// built with it reads it.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time            { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) set(d time.Duration)       { c.offset.Store(int64(d)) }
func (c *testClock) options(o *agency.Options) { o.Now = c.now }

// errorLog keeps the error-level records of every node's log.
type errorLog struct {
	mu   sync.Mutex
	recs []string
}

func (l *errorLog) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelError }
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler               { return l }
func (l *errorLog) WithGroup(string) slog.Handler                    { return l }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, b.String())
	return nil
}

// has reports whether an error was logged that holds every one of want.
func (l *errorLog) has(want ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.recs, func(rec string) bool {
		for _, w := range want {
			if !strings.Contains(rec, w) {
				return false
			}
		}
		return true
	})
}

// changeRoster runs fn as the secretariat, then has the hub publish the
// roster it signed, and waits until agency's node has taken it.
func (w *testNetwork) changeRoster(agency string, fn func(*hub.Secretariat) (*hub.SignedRoster, error)) *hub.SignedRoster {
	w.t.Helper()
	sec, err := hub.OpenSecretariat(w.hubDir, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	sr, err := fn(sec)
	sec.Close()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.hub.Reload(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	poll.Until(w.t, 10*time.Second, fmt.Sprintf("%s to take roster serial %d", agency, sr.Roster.Serial), func() bool {
		s, err := w.node(agency).Status(context.Background())
		return err == nil && s.Roster != nil && s.Roster.Serial == sr.Roster.Serial
	})
	return sr
}

// rejections returns the rejected records of agency's audit log by the
// message id they claim.
func (w *testNetwork) rejections(agency string) map[string]*auditlog.Rejection {
	w.t.Helper()
	out := map[string]*auditlog.Rejection{}
	for _, r := range w.audit(agency) {
		if r.Type != auditlog.TypeRejected {
			continue
		}
		rj, err := auditlog.DecodeRejection(r.Payload)
		if err != nil {
			w.t.Fatal(err)
		}
		out[r.MessageID] = rj
	}
	return out
}

// TestRevokedAndSuspendedMembers revokes one member and suspends another
// (its current key revoked) from a moment just ahead: a message of theirs
// the hub stored before that moment is accepted even though the node
// judges it with the new roster; one stored after is rejected as revoked,
// whatever its signed creation time; and the node refuses to send to
// either, naming it.
func TestRevokedAndSuspendedMembers(t *testing.T) {
	w := newNetwork(t, netOptions{Idle: []string{"ml-pj", "ne-mj"}}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	ml, ne := w.nodes["ml-pj"].id, w.nodes["ne-mj"].id
	// The hub removes the revoked and suspended members' NATS users: what
	// the hub stores of theirs afterwards comes through another member's
	// account, as a compromised hub could store it. The node judges the
	// sealed message, never the subject: revoked comes before the check
	// of the publisher. Before the change, they publish themselves.
	relay := w.raw("gh-ag")
	own := map[string]*rawPublisher{"ml-pj": w.raw("ml-pj"), "ne-mj": w.raw("ne-mj")}
	before := []*seal.Sealed{
		w.sealAs(ml, protocol.TypeLead, seal.Options{}, "sn-pj-dakar"),
		w.sealAs(ne, protocol.TypeLead, seal.Options{}, "sn-pj-dakar"),
	}
	since := time.Now().Add(4 * time.Second)
	for _, s := range before {
		own[s.Header.From].publish("sn-pj-dakar", protocol.TypeLead, s.Raw)
	}
	w.changeRoster("sn-pj-dakar", func(sec *hub.Secretariat) (*hub.SignedRoster, error) {
		if _, err := sec.Revoke("ml-pj", since); err != nil {
			return nil, err
		}
		return sec.RevokeKey("ne-mj", ne.KeyID(), since)
	})

	for _, name := range []string{"ml-pj", "ne-mj"} {
		_, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{name}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)})
		if !errors.Is(err, agency.ErrInvalid) || !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("send to %s, revoked or suspended: %v, want an invalid request naming it", name, err)
		}
	}

	if !time.Now().Before(since) {
		t.Fatal("the messages to store before the revocation were stored after it: the machine is too slow for this test")
	}
	poll.Until(t, 10*time.Second, "the messages stored before the revocation", func() bool {
		got := inboxIDs(t, a)
		return slices.Contains(got, before[0].Header.ID) && slices.Contains(got, before[1].Header.ID)
	})

	poll.Until(t, 10*time.Second, "the revocation to take effect", func() bool { return time.Now().After(since) })
	backdated := since.Add(-time.Minute)
	after := []*seal.Sealed{
		w.sealAs(ml, protocol.TypeLead, seal.Options{Now: backdated}, "sn-pj-dakar"),
		w.sealAs(ml, protocol.TypeLead, seal.Options{}, "sn-pj-dakar"),
		w.sealAs(ne, protocol.TypeLead, seal.Options{Now: backdated}, "sn-pj-dakar"),
		w.sealAs(ne, protocol.TypeLead, seal.Options{}, "sn-pj-dakar"),
	}
	for _, s := range after {
		relay.publish("sn-pj-dakar", protocol.TypeLead, s.Raw)
	}
	poll.Until(t, 10*time.Second, "the messages stored after the revocation to be rejected", func() bool {
		s, _ := a.Status(context.Background())
		return s.Rejected == int64(len(after))
	})
	rj := w.rejections("sn-pj-dakar")
	for i, s := range after {
		if r := rj[s.Header.ID]; r == nil || r.Reason != protocol.ReasonRevoked {
			t.Errorf("message %d from %s stored after the revocation (created %s): rejection %+v, want revoked", i, s.Header.From, s.Header.Created, r)
		}
	}
	if got := inboxIDs(t, a); len(got) != len(before) {
		t.Errorf("inbox = %v, want only the %d messages stored before the revocation", got, len(before))
	}
}

// TestRotatedKeyOverlap rotates an agency's key with an hour's overlap:
// the receiving node accepts messages signed with the previous key during
// the overlap, and refuses them as unknown-key after it. The node alerts,
// at error level and in its status, that the roster changed the card of an
// agency it knew, naming both key ids.
func TestRotatedKeyOverlap(t *testing.T) {
	var clock testClock
	errs := &errorLog{}
	w := newNetwork(t, netOptions{Idle: []string{"gh-ag"}, Node: func(o *agency.Options) {
		clock.options(o)
		o.Logger = slog.New(errs)
	}}, "sn-pj-dakar")
	a := w.node("sn-pj-dakar")
	old := w.nodes["gh-ag"].id
	rotated, err := identity.Generate(w.network, "gh-ag", "Agency gh-ag", "SN", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.changeRoster("sn-pj-dakar", func(sec *hub.Secretariat) (*hub.SignedRoster, error) {
		res, err := sec.Rotate(rotated.Card, hub.RotateOptions{Overlap: time.Hour}, time.Now())
		if err != nil {
			return nil, err
		}
		return res.Roster, nil
	})
	s, err := a.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := agency.CardChange{Agency: "gh-ag", Serial: s.Roster.Serial, OldKid: old.KeyID(), NewKid: rotated.KeyID()}
	if !slices.Contains(s.Roster.CardChanges, want) {
		t.Errorf("status card changes %+v, want %+v", s.Roster.CardChanges, want)
	}
	if !errs.has("changes the member card", "agency=gh-ag", "old_kid="+old.KeyID(), "new_kid="+rotated.KeyID()) {
		t.Errorf("no error logged for the card change; errors: %q", errs.recs)
	}

	p := w.raw("gh-ag")
	during := []*seal.Sealed{
		w.sealAs(old, protocol.TypeLead, seal.Options{}, "sn-pj-dakar"),
		w.sealAs(rotated, protocol.TypeLead, seal.Options{}, "sn-pj-dakar"),
	}
	for _, s := range during {
		p.publish("sn-pj-dakar", protocol.TypeLead, s.Raw)
	}
	poll.Until(t, 10*time.Second, "both keys accepted during the overlap", func() bool { return len(inboxIDs(t, a)) == 2 })

	// Two hours later, by the node's clock and the messages' creation.
	clock.set(2 * time.Hour)
	later := time.Now().Add(2 * time.Hour)
	stale := w.sealAs(old, protocol.TypeLead, seal.Options{Now: later}, "sn-pj-dakar")
	fresh := w.sealAs(rotated, protocol.TypeLead, seal.Options{Now: later}, "sn-pj-dakar")
	p.publish("sn-pj-dakar", protocol.TypeLead, stale.Raw)
	p.publish("sn-pj-dakar", protocol.TypeLead, fresh.Raw)
	poll.Until(t, 10*time.Second, "the message signed with the previous key after the overlap to be rejected", func() bool {
		s, _ := a.Status(context.Background())
		return s.Rejected == 1 && s.Inbox.Messages == 3
	})
	if r := w.rejections("sn-pj-dakar")[stale.Header.ID]; r == nil || r.Reason != protocol.ReasonUnknownKey {
		t.Errorf("previous key after the overlap: rejection %+v, want unknown-key", r)
	}
	if !slices.Contains(inboxIDs(t, a), fresh.Header.ID) {
		t.Error("the new key's message after the overlap is not in the inbox")
	}
}

// TestRefusedRosterRaisesAnAlarm offers a node a roster with a lower serial
// than the one in force, and another roster with the serial in force: it
// keeps the roster in force, logs an error and reports the alarm in its
// status.
func TestRefusedRosterRaisesAnAlarm(t *testing.T) {
	errs := &errorLog{}
	w := newNetwork(t, netOptions{Node: func(o *agency.Options) { o.Logger = slog.New(errs) }}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	ctx := context.Background()
	older, err := hub.LoadRoster(w.hubDir)
	if err != nil {
		t.Fatal(err)
	}
	cur := w.changeRoster("sn-pj-dakar", func(sec *hub.Secretariat) (*hub.SignedRoster, error) { return sec.Renew(time.Now()) })

	check := func(what string, signed []byte, want string) {
		t.Helper()
		err := a.OfferRoster(ctx, signed)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: offer: %v, want an error with %q", what, err, want)
		}
		s, err := a.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Roster.Serial != cur.Roster.Serial {
			t.Errorf("%s: roster in force serial %d, want %d", what, s.Roster.Serial, cur.Roster.Serial)
		}
		if !strings.Contains(s.Roster.Alarm, want) {
			t.Errorf("%s: status alarm %q, want it to say %q", what, s.Roster.Alarm, want)
		}
		if !errs.has("roster refused", want) {
			t.Errorf("%s: no error logged; errors: %q", what, errs.recs)
		}
	}
	if s, _ := a.Status(ctx); s.Roster.Alarm != "" {
		t.Fatalf("alarm before any refused roster: %q", s.Roster.Alarm)
	}
	check("lower serial", older.JWS, fmt.Sprintf("roster serial %d is not above the serial %d in force", older.Roster.Serial, cur.Roster.Serial))

	secID, err := identity.Load(filepath.Join(w.hubDir, hub.SecretariatDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	twin := *cur.Roster
	twin.Expires = protocol.NewTime(twin.Expires.Add(time.Hour))
	signed, err := hub.SignRoster(secID.Signing, &twin)
	if err != nil {
		t.Fatal(err)
	}
	check("same serial, other bytes", signed.JWS, fmt.Sprintf("another roster with serial %d", cur.Roster.Serial))
}

// TestReplayAfterTheDuplicateWindow has the hub deliver a message again
// after its duplicate window (the same sealed bytes under another
// Nats-Msg-Id), once while the node runs and once after it restarted: the
// inbox and the audit log hold it once, and its delivered receipt too.
func TestReplayAfterTheDuplicateWindow(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	p := w.raw("sn-pj-dakar")
	s := w.sealAs(w.nodes["sn-pj-dakar"].id, protocol.TypeLead, seal.Options{}, "gh-ag")
	p.publish("gh-ag", protocol.TypeLead, s.Raw)
	poll.Until(t, 10*time.Second, "the message", func() bool { return len(inboxIDs(t, w.node("gh-ag"))) == 1 })

	p.publish("gh-ag", protocol.TypeLead, s.Raw)
	w.drained("gh-ag")
	w.stopNode("gh-ag")
	w.start("gh-ag")
	w.waitReady("gh-ag", 3)
	p.publish("gh-ag", protocol.TypeLead, s.Raw)
	w.drained("gh-ag")
	// The replays get the delivered receipt signed when the message was
	// accepted, sent again unchanged: it is recorded once.
	if got := receiptsIn(t, w.audit("gh-ag"), "gh-ag"); len(got) != 1 {
		t.Errorf("%d receipt records, want 1", len(got))
	}

	b := w.node("gh-ag")
	if got := inboxIDs(t, b); !slices.Equal(got, []string{s.Header.ID}) {
		t.Errorf("inbox = %v, want the message once", got)
	}
	n := 0
	for _, r := range w.audit("gh-ag") {
		if r.Type == auditlog.TypeReceived {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d received records, want 1", n)
	}
	if st, _ := b.Status(context.Background()); st.Inbox.Messages != 1 {
		t.Errorf("status: %+v", st)
	}
}

// TestRosterExpiry moves the nodes' clock to the month before the roster
// expires, then past its expiry: the status says so, and the nodes keep
// sending, queueing and receiving with the roster in force.
func TestRosterExpiry(t *testing.T) {
	var clock testClock
	w := newNetwork(t, netOptions{Idle: []string{"ml-pj"}, Node: clock.options}, "sn-pj-dakar", "gh-ag")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	s, err := a.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	expires := s.Roster.Expires
	if s.Roster.ExpiresSoon || s.Roster.Expired {
		t.Fatalf("a new roster: %+v", s.Roster)
	}

	clock.set(time.Until(expires.Add(-24 * time.Hour)))
	if s, _ := a.Status(context.Background()); !s.Roster.ExpiresSoon || s.Roster.Expired {
		t.Errorf("a day before expiry: %+v, want expires_soon", s.Roster)
	}

	clock.set(time.Until(expires.Add(time.Hour)))
	if s, _ := a.Status(context.Background()); s.Roster.ExpiresSoon || !s.Roster.Expired {
		t.Errorf("an hour after expiry: %+v, want expired", s.Roster)
	}
	out := send(t, a, protocol.TypeLead, "", "gh-ag")
	in := send(t, b, protocol.TypeLead, "", "sn-pj-dakar")
	queued := send(t, a, protocol.TypeLead, "", "ml-pj")
	waitState(t, a, out, agency.CopyDelivered, "gh-ag")
	waitState(t, b, in, agency.CopyDelivered, "sn-pj-dakar")
	waitState(t, a, queued, agency.CopyRelayed, "ml-pj")
	if !slices.Contains(inboxIDs(t, b), out) || !slices.Contains(inboxIDs(t, a), in) {
		t.Error("a message sent past expiry is not in its recipient's inbox")
	}
}

// verifyLog stops agency's node and verifies its audit log as
// 'casenode audit verify' does, anchored by its card.
func (w *testNetwork) verifyLog(agency string) *auditlog.Reader {
	w.t.Helper()
	w.stopNode(agency)
	r, err := auditlog.OpenReader(filepath.Join(w.nodes[agency].dir, auditlog.FileName), auditlog.ReadOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { r.Close() })
	rep, err := r.Verify(context.Background(), auditlog.VerifyOptions{Card: w.nodes[agency].id.Card, CheckMessage: auditlog.CheckMessage})
	if err != nil {
		w.t.Fatalf("%s: audit verify: %v", agency, err)
	}
	if rep.MessagesChecked == 0 {
		w.t.Fatalf("%s: audit verify checked no message", agency)
	}
	return r
}

// TestAuditVerifyAcrossARevocation revokes an agency while messages flow
// both ways: afterwards both audit logs verify, each message judged by the
// roster in force when it was recorded.
func TestAuditVerifyAcrossARevocation(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	var ids []string
	for range 3 {
		out := send(t, a, protocol.TypeLead, "", "gh-ag")
		in := send(t, b, protocol.TypeLead, "", "sn-pj-dakar")
		ids = append(ids, out, in)
	}
	for i, id := range ids {
		n, to := a, "gh-ag"
		if i%2 == 1 {
			n, to = b, "sn-pj-dakar"
		}
		waitState(t, n, id, agency.CopyDelivered, to)
	}
	w.changeRoster("sn-pj-dakar", func(sec *hub.Secretariat) (*hub.SignedRoster, error) { return sec.Revoke("gh-ag", time.Now()) })
	w.verifyLog("sn-pj-dakar")
	w.verifyLog("gh-ag")
}

// TestDeliveredReceiptVerifiesInSendersLog sends a message and, once it is
// delivered, finds the recipient's delivered receipt in the sender's audit
// log, which verifies.
func TestDeliveredReceiptVerifiesInSendersLog(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	id := send(t, a, protocol.TypeLead, "", "gh-ag")
	waitState(t, a, id, agency.CopyDelivered, "gh-ag")
	r := w.verifyLog("sn-pj-dakar")
	var recs []auditRecord
	if err := r.Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		recs = append(recs, auditRecord{Record: rec, Payload: append([]byte(nil), payload...)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rc := range receiptsIn(t, recs, "gh-ag") {
		if rc.MessageID == id && rc.Kind == protocol.ReceiptDelivered && rc.To == "sn-pj-dakar" {
			found = true
		}
	}
	if !found {
		t.Errorf("no delivered receipt from gh-ag for message %s in the sender's log", id)
	}
}

// TestRevokedAgencyIsTold revokes a running agency: its node learns it
// from the roster the hub still lets it read, its status says revoked with
// the roster's serial and the time, and it refuses to send, recording
// nothing — instead of queueing a message that never leaves.
func TestRevokedAgencyIsTold(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	b := w.node("gh-ag")
	before := len(w.audit("gh-ag"))
	since := time.Now()
	sr := w.changeRoster("gh-ag", func(sec *hub.Secretariat) (*hub.SignedRoster, error) { return sec.Revoke("gh-ag", since) })

	s, err := b.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Roster; r.Standing != string(protocol.StatusRevoked) || r.Serial != sr.Roster.Serial || !r.StandingSince.Equal(sr.Roster.Member("gh-ag").Since.Time) {
		t.Errorf("status roster %+v, want gh-ag revoked since %s in serial %d", r, sr.Roster.Member("gh-ag").Since, sr.Roster.Serial)
	}
	_, err = b.Send(context.Background(), actor, agency.SendRequest{To: []string{"sn-pj-dakar"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)})
	if !errors.Is(err, agency.ErrNotReady) || !strings.Contains(err.Error(), "revoked") || !strings.Contains(err.Error(), fmt.Sprint(sr.Roster.Serial)) {
		t.Errorf("send from a revoked agency: %v, want a refusal that says it is revoked, with the roster serial", err)
	}
	if s, _ := b.Status(context.Background()); s.Outbox.Messages != 0 {
		t.Errorf("outbox holds %d messages, want none", s.Outbox.Messages)
	}
	for _, r := range w.audit("gh-ag")[before:] {
		if r.Type == auditlog.TypeSent {
			t.Errorf("sent record %d after the revocation", r.Seq)
		}
	}
}
