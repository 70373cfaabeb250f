package agency_test

import (
	"context"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
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
	if n := outOfOrder(t, inboxIDs(t, b), ids); n != 0 {
		t.Fatalf("%d of %d messages received after one sent later", n, count)
	}
}

// TestInboxOrderAcrossRecipientRestart stops the recipient's node while
// it receives a stream, so that messages the hub delivered are not
// acknowledged, and starts it again once the stream is at the hub: the
// node rewinds its inbox to its last acknowledged message, so those come
// again first rather than after the consumer's ack wait, behind later
// ones.
func TestInboxOrderAcrossRecipientRestart(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	const count = 400
	var ids []string
	for range count {
		ids = append(ids, send(t, a, protocol.TypeLead, "", "gh-ag"))
	}
	poll.Until(t, time.Minute, "the recipient receiving", func() bool {
		ms, err := w.node("gh-ag").Inbox(context.Background(), agency.InboxQuery{})
		return err == nil && len(ms) >= 20
	})
	w.stopNode("gh-ag")
	poll.Until(t, time.Minute, "every copy at the hub", func() bool {
		st, err := a.Status(context.Background())
		c := st.Outbox.Copies
		return err == nil && c[agency.CopyRelayed]+c[agency.CopyDelivered]+c[agency.CopyRead] == count
	})
	b := w.start("gh-ag")
	waitInbox(t, b, count)
	if n := outOfOrder(t, inboxIDs(t, b), ids); n != 0 {
		t.Fatalf("%d of %d messages received after one sent later", n, count)
	}
}
