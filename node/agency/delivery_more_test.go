package agency_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

func TestDeliveryThreeRecipients(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag", "ml-pj-bamako", "ne-mj")
	a := w.node("sn-pj-dakar")
	to := []string{"gh-ag", "ml-pj-bamako", "ne-mj"}
	id := send(t, a, protocol.TypeRequest, "sn-2025-0042", to...)
	waitState(t, a, id, agency.CopyDelivered, to...)
	for _, r := range to {
		if got := inboxIDs(t, w.node(r)); !slices.Equal(got, []string{id}) {
			t.Errorf("inbox of %s = %v, want [%s]", r, got, id)
		}
	}
	// The audit logs hold the sent message, each received copy and each
	// delivered receipt, with the exact sealed bytes on both sides.
	sent := findRecord(t, w.audit("sn-pj-dakar"), auditlog.TypeSent, id)
	for _, r := range to {
		recs := w.audit(r)
		if got := findRecord(t, recs, auditlog.TypeReceived, id); string(got.Payload) != string(sent.Payload) {
			t.Errorf("%s recorded other bytes than were sent", r)
		}
		rs := receiptsIn(t, recs, r)
		if len(rs) != 1 || rs[0].Kind != protocol.ReceiptDelivered || rs[0].MessageID != id || rs[0].To != "sn-pj-dakar" {
			t.Errorf("%s's receipts: %+v", r, rs)
		}
	}
	if rs := receiptsIn(t, w.audit("sn-pj-dakar"), "gh-ag"); len(rs) != 1 {
		t.Errorf("the sender recorded %d receipts from gh-ag, want 1", len(rs))
	}
}

// findRecord returns the record of type typ about message id.
func findRecord(t *testing.T, recs []auditRecord, typ auditlog.Type, id string) auditRecord {
	t.Helper()
	for _, r := range recs {
		if r.Type == typ && r.MessageID == id {
			return r
		}
	}
	t.Fatalf("no %s record for message %s", typ, id)
	return auditRecord{}
}

func TestOfflineRecipientGetsEverything(t *testing.T) {
	w := newNetwork(t, netOptions{Node: func(o *agency.Options) { o.ReceiptTimeout = 300 * time.Millisecond }}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	w.stopNode("gh-ag")
	var ids []string
	for range 20 {
		ids = append(ids, send(t, a, protocol.TypeLead, "", "gh-ag"))
	}
	// The hub has them all; the recipient does not answer.
	for _, id := range ids {
		waitState(t, a, id, agency.CopyRelayed, "gh-ag")
	}
	s, _ := a.Status(context.Background())
	if s.PendingReceipts != 20 {
		t.Errorf("pending receipts = %d, want 20", s.PendingReceipts)
	}
	// Meanwhile the sender publishes them again (same Nats-Msg-Id, so the
	// hub drops the copies) while it waits for receipts.
	poll.Until(t, 10*time.Second, "a resend", func() bool {
		items, _ := a.Outbox(context.Background(), agency.OutboxQuery{})
		return items[0].Copies["gh-ag"].Attempts >= 2
	})
	b := w.start("gh-ag")
	for _, id := range ids {
		waitState(t, a, id, agency.CopyDelivered, "gh-ag")
	}
	if got := inboxIDs(t, b); !slices.Equal(got, ids) {
		t.Fatalf("inbox after reconnect:\n got %v\nwant %v", got, ids)
	}
}

func TestSendWhileHubDown(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	w.stopHub()
	poll.Until(t, 10*time.Second, "the sender to notice", func() bool {
		s, _ := a.Status(context.Background())
		return s.Hub.State == "offline"
	})
	var ids []string
	for range 30 {
		ids = append(ids, send(t, a, protocol.TypeLead, "", "gh-ag"))
	}
	s, _ := a.Status(context.Background())
	if s.Outbox.Copies[agency.CopyQueued] != 30 || s.Hub.State != "offline" || s.Hub.LastError == "" {
		t.Fatalf("status while the hub is down: %+v", s)
	}
	w.restartHub()
	for _, id := range ids {
		waitState(t, a, id, agency.CopyDelivered, "gh-ag")
	}
	if got := inboxIDs(t, b); !slices.Equal(got, ids) {
		t.Fatalf("inbox after the hub came back:\n got %v\nwant %v", got, ids)
	}
	if s, _ := a.Status(context.Background()); s.Hub.State != "online" {
		t.Errorf("hub state after restart: %+v", s.Hub)
	}
}

// TestDuplicatesAreDropped publishes one message three times: the inbox
// holds it once, with one received record and one delivered receipt.
func TestDuplicatesAreDropped(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	b := w.node("gh-ag")
	p := w.raw("sn-pj-dakar")
	s := w.sealAs(w.nodes["sn-pj-dakar"].id, protocol.TypeLead, seal.Options{}, "gh-ag")
	for range 3 {
		p.publish("gh-ag", protocol.TypeLead, s.Raw)
	}
	w.drained("gh-ag")
	// One delivered receipt, signed and recorded once, sent again as it was
	// for each copy.
	if got := receiptsIn(t, w.audit("gh-ag"), "gh-ag"); len(got) != 1 {
		t.Errorf("%d receipt records, want 1", len(got))
	}
	if got := inboxIDs(t, b); !slices.Equal(got, []string{s.Header.ID}) {
		t.Fatalf("inbox = %v, want the message once", got)
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
	if st, _ := b.Status(context.Background()); st.Rejected != 0 || st.Inbox.Messages != 1 {
		t.Errorf("status: %+v", st)
	}
}

// TestReplayedReceiptsAreRecordedOnce has the hub deliver a delivered
// receipt to the sender three times (its bytes published again under
// other Nats-Msg-Ids, as a replay after the duplicate window would): the
// sender records it once, as a receipt. A receipt about a message the
// sender never sent is recorded as what it is: rejected, unknown-message.
func TestReplayedReceiptsAreRecordedOnce(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	id := send(t, a, protocol.TypeLead, "", "gh-ag")
	waitState(t, a, id, agency.CopyDelivered, "gh-ag")
	var receipt []byte
	for _, r := range w.audit("gh-ag") {
		if r.Type == auditlog.TypeReceipt && r.Actor == "gh-ag" && r.MessageID == id {
			receipt = r.Payload
		}
	}
	if receipt == nil {
		t.Fatal("no delivered receipt in the recipient's log")
	}
	p := w.raw("gh-ag")
	p.publish("sn-pj-dakar", protocol.TypeReceipt, receipt)
	p.publish("sn-pj-dakar", protocol.TypeReceipt, receipt)

	stranger := w.sealAs(w.nodes["gh-ag"].id, protocol.TypeLead, seal.Options{}, "sn-pj-dakar")
	body, err := (&protocol.Receipt{Version: protocol.ReceiptVersion, ID: protocol.NewMessageID(time.Now()), Network: w.network, From: "gh-ag", To: "sn-pj-dakar",
		MessageID: stranger.Header.ID, MessageHash: strings.Repeat("ab", 32), Kind: protocol.ReceiptDelivered, Time: protocol.NewTime(time.Now())}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := jws.Sign(w.nodes["gh-ag"].id.Signing, protocol.ReceiptJWSType, nil, body)
	if err != nil {
		t.Fatal(err)
	}
	p.publish("sn-pj-dakar", protocol.TypeReceipt, unknown)
	w.drained("sn-pj-dakar")

	n := 0
	for _, rc := range receiptsIn(t, w.audit("sn-pj-dakar"), "gh-ag") {
		if rc.MessageID == id {
			n++
		}
		if rc.MessageID == stranger.Header.ID {
			t.Errorf("the receipt about an unknown message is recorded as a receipt")
		}
	}
	if n != 1 {
		t.Errorf("%d receipt records for message %s, want 1", n, id)
	}
	rj := w.rejections("sn-pj-dakar")[stranger.Header.ID]
	if rj == nil || rj.Reason != protocol.ReasonUnknownMessage || !bytes.Equal(rj.Raw, unknown) {
		t.Errorf("receipt about an unknown message: rejection %+v, want unknown-message with its bytes", rj)
	}
}
