package agency_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
)

// TestOldDatesAreRejected has a member publish, through the real hub,
// messages it signed with a creation time in 2006, one 31 days back and
// one whose id carries another time than its creation: each is rejected
// with its own reason (too-old, id-time) and answered with a rejected
// receipt, since its signature verifies. A message created 29 days back is
// within the window and accepted.
func TestOldDatesAreRejected(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	b := w.node("gh-ag")
	p := w.raw("sn-pj-dakar")
	sender := w.nodes["sn-pj-dakar"].id
	now := time.Now()

	in2006 := w.sealAs(sender, protocol.TypeLead, seal.Options{Now: time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)}, "gh-ag")
	month := w.sealAs(sender, protocol.TypeLead, seal.Options{Now: now.Add(-31 * 24 * time.Hour)}, "gh-ag")
	otherID := w.sealAs(sender, protocol.TypeLead, seal.Options{ID: protocol.NewMessageID(now.Add(-time.Hour))}, "gh-ag")
	recent := w.sealAs(sender, protocol.TypeLead, seal.Options{Now: now.Add(-29 * 24 * time.Hour)}, "gh-ag")
	for _, s := range []*seal.Sealed{in2006, month, otherID, recent} {
		p.publish("gh-ag", protocol.TypeLead, s.Raw)
	}
	poll.Until(t, 20*time.Second, "three rejections and one message", func() bool {
		s, _ := b.Status(context.Background())
		return s.Rejected == 3 && s.Inbox.Messages == 1
	})
	if got := inboxIDs(t, b); !slices.Equal(got, []string{recent.Header.ID}) {
		t.Errorf("inbox = %v, want only the message created 29 days ago", got)
	}
	rj := w.rejections("gh-ag")
	for _, c := range []struct {
		name string
		s    *seal.Sealed
		want protocol.Reason
	}{{"created in 2006", in2006, protocol.ReasonTooOld}, {"created 31 days ago", month, protocol.ReasonTooOld}, {"id of an hour before", otherID, protocol.ReasonIDTime}} {
		if r := rj[c.s.Header.ID]; r == nil || r.Reason != c.want {
			t.Errorf("%s: rejection %+v, want %s", c.name, r, c.want)
		}
	}
	var reasons []protocol.Reason
	for _, rc := range receiptsIn(t, w.audit("gh-ag"), "gh-ag") {
		if rc.Kind == protocol.ReceiptRejected {
			reasons = append(reasons, rc.Reason)
		}
	}
	slices.Sort(reasons)
	if want := []protocol.Reason{protocol.ReasonIDTime, protocol.ReasonTooOld, protocol.ReasonTooOld}; !slices.Equal(reasons, want) {
		t.Errorf("rejected receipts with reasons %v, want %v", reasons, want)
	}
}

// TestLongOutageLosesNothing stops the receiving node for what its clock
// sees as 72 hours, while the sender sends through the real hub —
// messages sealed now, and one sealed 29 days before the hub stored it —
// then starts it again: every message is delivered, since each is judged
// at the time the hub stored it, not at the receiver's later clock, which
// puts the oldest 32 days back.
func TestLongOutageLosesNothing(t *testing.T) {
	var clock testClock
	w := newNetwork(t, netOptions{Node: clock.options}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	w.stopNode("gh-ag")

	var ids []string
	for range 5 {
		ids = append(ids, send(t, a, protocol.TypeLead, "", "gh-ag"))
	}
	old := w.sealAs(w.nodes["sn-pj-dakar"].id, protocol.TypeLead, seal.Options{Now: time.Now().Add(-29 * 24 * time.Hour)}, "gh-ag")
	w.raw("sn-pj-dakar").publish("gh-ag", protocol.TypeLead, old.Raw)
	ids = append(ids, old.Header.ID)
	poll.Until(t, 20*time.Second, "the hub to store the messages", func() bool {
		s, _ := a.Status(context.Background())
		return s.Outbox.Copies["relayed"] == 5
	})

	clock.set(72 * time.Hour)
	b := w.start("gh-ag")
	poll.Until(t, 30*time.Second, "every message after the outage", func() bool { return len(inboxIDs(t, b)) == len(ids) })
	got := inboxIDs(t, b)
	slices.Sort(got)
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("inbox = %v, want %v", got, ids)
	}
	if s, _ := b.Status(context.Background()); s.Rejected != 0 {
		t.Errorf("%d rejected after the outage, want 0", s.Rejected)
	}
}
