package agency_test

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// TestRejections sends every kind of bad input over the real hub, with a
// member's credentials, and checks that none reaches the inbox, that each
// is in the audit log as rejected with its reason and its bytes, that the
// sender gets a rejected receipt where its signature verified, that JetStream
// will not deliver them again, and that the node goes on serving.
func TestRejections(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	p := w.raw("sn-pj-dakar")
	sender := w.nodes["sn-pj-dakar"].id
	now := time.Now()

	// The first of two messages with one id is accepted.
	first := w.sealAs(sender, protocol.TypeLead, seal.Options{}, "gh-ag")
	p.publish("gh-ag", protocol.TypeLead, first.Raw)
	poll.Until(t, 10*time.Second, "the first message", func() bool { return len(inboxIDs(t, b)) == 1 })

	forged := bytes.Clone(w.sealAs(sender, protocol.TypeLead, seal.Options{}, "gh-ag").Raw)
	i := len(forged) - 40
	forged[i] = map[bool]byte{true: 'B', false: 'A'}[forged[i] == 'A']
	impostor, err := identity.Generate(w.network, "sn-pj-dakar", "Impostor", "SN", protocol.KindClassic, now)
	if err != nil {
		t.Fatal(err)
	}
	outsider, err := identity.Generate(w.network, "ne-mj", "Not a member", "NE", protocol.KindClassic, now)
	if err != nil {
		t.Fatal(err)
	}
	receiptBody, _ := (&protocol.Receipt{Version: 1, ID: protocol.NewMessageID(now), Network: w.network, From: "ne-mj", To: "sn-pj-dakar",
		MessageID: first.Header.ID, MessageHash: "00000000000000000000000000000000000000000000000000000000000000ff", Kind: protocol.ReceiptDelivered,
		Time: protocol.NewTime(now)}).Marshal()
	forgedReceipt, err := jws.Sign(outsider.Signing, protocol.ReceiptJWSType, nil, receiptBody)
	if err != nil {
		t.Fatal(err)
	}
	inputs := []struct {
		name      string
		t         protocol.MessageType
		raw       []byte
		reason    protocol.Reason
		authentic bool
	}{
		{"forged signature", protocol.TypeLead, forged, protocol.ReasonBadSignature, false},
		{"unknown key", protocol.TypeLead, w.sealAs(impostor, protocol.TypeLead, seal.Options{}, "gh-ag").Raw, protocol.ReasonUnknownKey, false},
		{"non-member", protocol.TypeLead, w.sealAs(outsider, protocol.TypeLead, seal.Options{}, "gh-ag").Raw, protocol.ReasonUnknownSender, false},
		{"expired", protocol.TypeRequest, w.sealAs(sender, protocol.TypeRequest, seal.Options{Now: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)}, "gh-ag").Raw, protocol.ReasonExpired, true},
		{"malformed", protocol.TypeLead, []byte("this is not a sealed message"), protocol.ReasonMalformed, false},
		{"oversized", protocol.TypeLead, bytes.Repeat([]byte{'x'}, protocol.MaxMessageSize+1), protocol.ReasonOversized, false},
		{"conflict", protocol.TypeLead, w.sealAs(sender, protocol.TypeLead, seal.Options{ID: first.Header.ID}, "gh-ag").Raw, protocol.ReasonConflict, true},
		{"forged receipt", protocol.TypeReceipt, forgedReceipt, protocol.ReasonUnknownSender, false},
	}
	for _, in := range inputs {
		p.publish("gh-ag", in.t, in.raw)
	}
	poll.Until(t, 20*time.Second, "every input rejected", func() bool {
		s, _ := b.Status(context.Background())
		return s.Rejected == int64(len(inputs))
	})

	if got := inboxIDs(t, b); !slices.Equal(got, []string{first.Header.ID}) {
		t.Errorf("inbox = %v, want only the first message", got)
	}
	recs := w.audit("gh-ag")
	var rejected []*auditlog.Rejection
	for _, r := range recs {
		if r.Type == auditlog.TypeRejected {
			rj, err := auditlog.DecodeRejection(r.Payload)
			if err != nil {
				t.Fatal(err)
			}
			rejected = append(rejected, rj)
		}
	}
	if len(rejected) != len(inputs) {
		t.Fatalf("%d rejected records, want %d", len(rejected), len(inputs))
	}
	var wantReceipts []protocol.Reason
	for i, in := range inputs {
		rj := rejected[i]
		if rj.Reason != in.reason || rj.Size != int64(len(in.raw)) {
			t.Errorf("%s: recorded reason %s, size %d; want %s, %d (%s)", in.name, rj.Reason, rj.Size, in.reason, len(in.raw), rj.Detail)
		}
		if want := in.raw[:min(len(in.raw), auditlog.MaxRejectedRaw)]; len(in.raw) <= auditlog.MaxRejectedRaw && !bytes.Equal(rj.Raw, want) {
			t.Errorf("%s: the recorded bytes are not the input", in.name)
		}
		if in.authentic {
			wantReceipts = append(wantReceipts, in.reason)
		}
	}
	var gotReceipts []protocol.Reason
	for _, rc := range receiptsIn(t, recs, "gh-ag") {
		if rc.Kind == protocol.ReceiptRejected {
			gotReceipts = append(gotReceipts, rc.Reason)
		}
	}
	sort.Slice(gotReceipts, func(i, j int) bool { return gotReceipts[i] < gotReceipts[j] })
	sort.Slice(wantReceipts, func(i, j int) bool { return wantReceipts[i] < wantReceipts[j] })
	if !slices.Equal(gotReceipts, wantReceipts) {
		t.Errorf("rejected receipts sent for %v, want %v", gotReceipts, wantReceipts)
	}
	// The sender's node records the receipts it gets for messages its
	// outbox never held — someone used its key — as what they are: rejected
	// as about an unknown message, with their bytes.
	poll.Until(t, 10*time.Second, "the sender to record the receipts", func() bool {
		return len(w.rejectedAs("sn-pj-dakar", protocol.ReasonUnknownMessage)) == 1+len(wantReceipts)
	})
	if got := receiptsIn(t, w.audit("sn-pj-dakar"), "gh-ag"); len(got) != 0 {
		t.Errorf("the sender recorded %d receipts about messages it never sent as receipts", len(got))
	}

	// JetStream will not deliver them again: nothing waits for an ack.
	poll.Until(t, 10*time.Second, "no pending acks", func() bool {
		cons, err := w.raw("gh-ag").js.Consumer(context.Background(), protocol.StreamName(w.network), protocol.ConsumerName("gh-ag"))
		if err != nil {
			t.Fatal(err)
		}
		info, err := cons.Info(context.Background())
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0
	})

	// The node still serves.
	id := send(t, a, protocol.TypeLead, "", "gh-ag")
	waitState(t, a, id, agency.CopyDelivered, "gh-ag")
}
