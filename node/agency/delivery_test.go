package agency_test

import (
	"context"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

var actor = agency.Actor{Via: agency.ViaProcess, Name: "aminata"}

// send sends an example body of type t and returns the message id.
func send(t *testing.T, n *agency.Node, t0 protocol.MessageType, caseID string, to ...string) string {
	t.Helper()
	res, err := n.Send(context.Background(), actor, agency.SendRequest{To: to, Type: t0, Case: caseID, Body: protocol.Example(t0)})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return res.ID
}

// copyState returns the state of message id's copy for recipient in n's
// outbox.
func copyState(t *testing.T, n *agency.Node, id, recipient string) agency.CopyState {
	t.Helper()
	items, err := n.Outbox(context.Background(), agency.OutboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.ID == id {
			if c := it.Copies[recipient]; c != nil {
				return c.State
			}
		}
	}
	return ""
}

// waitState waits until every copy of message id reaches state.
func waitState(t *testing.T, n *agency.Node, id string, state agency.CopyState, recipients ...string) {
	t.Helper()
	for _, r := range recipients {
		poll.Until(t, time.Minute, "copy of "+id+" for "+r+" "+string(state), func() bool { return copyState(t, n, id, r) == state })
	}
}

// inboxIDs returns the ids in n's inbox, in arrival order.
func inboxIDs(t *testing.T, n *agency.Node) []string {
	t.Helper()
	ms, err := n.Inbox(context.Background(), agency.InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

func TestDeliveryOneRecipient(t *testing.T) {
	w := newNetwork(t, netOptions{}, "gh-ag", "sn-pj-dakar")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	start := time.Now()
	id := send(t, a, protocol.TypeLead, "", "gh-ag")
	waitState(t, a, id, agency.CopyDelivered, "gh-ag")
	t.Logf("delivered receipt back %s after send", time.Since(start))
	if got := inboxIDs(t, b); len(got) != 1 || got[0] != id {
		t.Fatalf("inbox of gh-ag = %v, want [%s]", got, id)
	}
	m, err := b.Show(context.Background(), actor, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.From != "sn-pj-dakar" || m.SignedBy == nil || m.SignedBy.Agency != "sn-pj-dakar" || protocol.ValidateBody(protocol.TypeLead, m.Body) != nil {
		t.Fatalf("shown message: %+v", m)
	}
	waitState(t, a, id, agency.CopyRead, "gh-ag")
	if m, err = b.Show(context.Background(), actor, id); err != nil || m.ReadBy != actor.Name {
		t.Fatalf("second show: %v, read by %q", err, m.ReadBy)
	}
	sa, err := a.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sa.Outbox.Messages != 1 || sa.Outbox.Copies[agency.CopyRead] != 1 || sa.PendingReceipts != 0 {
		t.Errorf("sender status: %+v", sa)
	}
	sb, _ := b.Status(context.Background())
	if sb.Inbox.Messages != 1 || sb.Inbox.Unread != 0 || sb.Rejected != 0 {
		t.Errorf("recipient status: %+v", sb)
	}
	poll.Until(t, 10*time.Second, "receipts acknowledged by the hub", func() bool {
		s, _ := b.Status(context.Background())
		return s.ReceiptsQueued == 0
	})
}
