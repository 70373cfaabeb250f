package agency_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// outOfOrder counts the ids of got that come after one sent later; sent is
// the sending order. It fails t unless got holds each of sent once.
func outOfOrder(t *testing.T, got, sent []string) int {
	t.Helper()
	pos := map[string]int{}
	for i, id := range sent {
		pos[id] = i
	}
	if len(got) != len(sent) {
		t.Fatalf("the inbox holds %d messages, want %d", len(got), len(sent))
	}
	seen := map[string]bool{}
	last, n := -1, 0
	for _, id := range got {
		i, ok := pos[id]
		if !ok || seen[id] {
			t.Fatalf("the inbox holds %s, unknown or twice", id)
		}
		seen[id] = true
		if i < last {
			n++
			if n <= 3 {
				t.Logf("message %d of %d received after message %d", i, len(sent), last)
			}
		}
		last = max(last, i)
	}
	return n
}

// waitInbox waits until n's inbox holds count messages.
func waitInbox(t *testing.T, n *agency.Node, count int) {
	t.Helper()
	poll.Until(t, 2*time.Minute, "every message in the inbox", func() bool {
		ms, err := n.Inbox(context.Background(), agency.InboxQuery{})
		return err == nil && len(ms) >= count
	})
}

// TestOrderWhenTheHubRefusesSome sends a burst over the sender's rate
// limit at the hub: the hub refuses some publications while the node has
// later ones in flight, and takes later ones again as its rate allows.
// The recipient's inbox is in sending order all the same: the hub refuses
// the later messages of a pair after one it refused until that one comes
// again, and the node publishes it again before anything later.
func TestOrderWhenTheHubRefusesSome(t *testing.T) {
	w := newNetwork(t, netOptions{Hub: func(h *config.Hub) {
		h.MemberLimits.MessagesPerSecond = 40
	}}, "sn-pj-dakar", "gh-ag")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	const count = 300
	var ids []string
	for range count {
		ids = append(ids, send(t, a, protocol.TypeLead, "", "gh-ag"))
	}
	waitInbox(t, b, count)
	ms, err := w.hub.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		t.Logf("%s: %d publications refused by the hub", m.Agency, m.Refused)
	}
	if n := outOfOrder(t, inboxIDs(t, b), ids); n != 0 {
		t.Fatalf("%d of %d messages received after one sent later", n, count)
	}
}

// TestInboxOrderAfterLostDeliveries has the hub deliver the first
// messages of a stream into a connection that then goes away without
// acknowledging them, as a connection to a server that fails does: the
// recipient's node, started then, rewinds its inbox to its last
// acknowledged message, so that they come first, rather than after the
// consumer's ack wait, behind later ones.
func TestInboxOrderAfterLostDeliveries(t *testing.T) {
	w := newNetwork(t, netOptions{Idle: []string{"gh-ag"}}, "sn-pj-dakar")
	a := w.node("sn-pj-dakar")
	const count = 60
	var ids []string
	for range count {
		ids = append(ids, send(t, a, protocol.TypeLead, "", "gh-ag"))
	}
	poll.Until(t, time.Minute, "every copy at the hub", func() bool {
		st, err := a.Status(context.Background())
		c := st.Outbox.Copies
		return err == nil && c[agency.CopyRelayed]+c[agency.CopyDelivered]+c[agency.CopyRead] == count
	})
	// The first ten go into a connection that goes away.
	raw := w.raw("gh-ag")
	cons, err := raw.js.Consumer(context.Background(), protocol.StreamName(w.network), protocol.ConsumerName("gh-ag"))
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(10, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for range batch.Messages() {
		lost++
	}
	if lost != 10 {
		t.Fatalf("%d messages delivered to the connection that goes away, want 10", lost)
	}
	raw.nc.Close()
	b := w.start("gh-ag")
	waitInbox(t, b, count)
	if n := outOfOrder(t, inboxIDs(t, b), ids); n != 0 {
		t.Fatalf("%d of %d messages received after one sent later", n, count)
	}
}

// TestLateReceiptGoesAgainOnRefusal: a receipt whose acknowledgement came
// late on a connection still open waits (it may be stored), but when the
// hub refuses a later publication to the same recipient with 409 because
// an earlier one was not stored, it goes again at once, with the late
// copies: left waiting, it held back every later publication to that
// recipient for the receipt timeout (15 minutes; seen in the process
// cluster test).
func TestLateReceiptGoesAgainOnRefusal(t *testing.T) {
	a := onlineSender(t)
	copyWait, receiptWait := a.LateReceiptThenRefusal("gh-ag")
	if copyWait > time.Second || receiptWait > time.Second {
		t.Fatalf("after the hub's 409, the late copy goes again in %s and the late receipt in %s; want both within a second", copyWait, receiptWait)
	}
}

// TestRefusalsWaitForTheFailedOne: when one publication to a recipient
// failed (the hub's stream did not answer) and goes again in a second,
// the later ones the hub refused with 409 behind it wait for it instead of
// going again every 100 ms, each refused again (thousands of refusals in
// a few seconds during a cluster's failover); then they go behind it, in
// order, whether it is a copy or a receipt.
func TestRefusalsWaitForTheFailedOne(t *testing.T) {
	a := onlineSender(t)
	for _, firstCopy := range []bool{false, true} {
		early, then := a.RefusalsBehindFailed("gh-ag", firstCopy)
		if early != 0 {
			t.Errorf("first a copy %v: %d refused publications went again before the failed one, want 0", firstCopy, early)
		}
		// Receipts go before copies in a round: behind a failed copy the
		// refused receipts go in the round after it.
		want := "first r2 r3 r4 c5"
		if firstCopy {
			want = "first c5 r2 r3 r4"
		}
		if got := strings.Join(then, " "); got != want {
			t.Errorf("first a copy %v: when the failed one is due, published %q, want %q", firstCopy, got, want)
		}
	}
}

// onlineSender starts a network of sn-pj-dakar and gh-ag and returns
// sn-pj-dakar's node once it is online: the publisher tests play the hub's
// answers on its connection.
func onlineSender(t *testing.T) *agency.Node {
	t.Helper()
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	poll.Until(t, time.Minute, "sn-pj-dakar online", func() bool {
		st, err := a.Status(context.Background())
		return err == nil && st.Hub.State == "online"
	})
	return a
}
