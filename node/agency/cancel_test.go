package agency_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

func TestCancelWithdrawsAMessageHeldByTheHubsQuota(t *testing.T) {
	t.Parallel()
	const quota = 1 << 20
	w := newNetwork(t, netOptions{Hub: func(h *config.Hub) { h.MemberLimits.AttachmentBytes, h.MaxAttachmentSize = quota, quota }}, "sn-pj", "gh-ag")
	a, b := w.node("sn-pj"), w.node("gh-ag")
	dir := t.TempDir()
	first, _ := writeFile(t, dir, "statement.pdf", 600<<10)
	second, _ := writeFile(t, dir, "photos.zip", 600<<10)
	body := protocol.Example(protocol.TypeLead)

	// Sent offline, both fit the network's size limit; once online, the
	// hub takes the first and refuses the second: the two are over the
	// agency's quota. The message is held.
	w.stopHub()
	poll.Until(t, 30*time.Second, "sn-pj offline", func() bool {
		st, err := a.Status(context.Background())
		return err == nil && st.Hub.State != "online"
	})
	held, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: body,
		Attach: []agency.AttachFile{{Path: first}, {Path: second}}})
	if err != nil {
		t.Fatal(err)
	}
	w.restartHub()
	poll.Until(t, time.Minute, "the second attachment refused by the hub", func() bool {
		as, _ := a.Attachments(held.ID)
		return len(as) == 2 && as[0].State == "done" && as[1].State == "refused" && strings.Contains(as[1].Error, "member_limits.attachment_bytes")
	})
	if s := copyState(t, a, held.ID, "gh-ag"); s != agency.CopyQueued {
		t.Fatalf("the held message's copy is %s", s)
	}

	// Cancelled: recorded, marked, its files removed, its object at the
	// hub deleted.
	spool := func(obj string) string { return filepath.Join(w.nodes["sn-pj"].dir, "attachments", "out", obj+".age") }
	as := attachmentsOf(t, a, held.ID)
	if _, err := os.Stat(spool(as[0].Object)); err != nil {
		t.Fatalf("the encrypted file before the cancel: %v", err)
	}
	it, err := a.CancelOutbox(context.Background(), actor, held.ID)
	if err != nil {
		t.Fatal(err)
	}
	if it.Copies["gh-ag"].State != agency.CopyCancelled || it.Copies["gh-ag"].Cancelled == nil || it.Pending {
		t.Fatalf("after the cancel: %+v", it.Copies["gh-ag"])
	}
	for _, x := range as {
		if _, err := os.Stat(spool(x.Object)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the encrypted file of %s is left: %v", x.Name, err)
		}
	}
	poll.Until(t, time.Minute, "the hub to delete the cancelled objects", func() bool {
		as, _ := a.Attachments(held.ID)
		return len(as) == 2 && as[0].State == "cancelled" && as[0].Deleted != nil && as[1].State == "cancelled" && as[1].Deleted != nil
	})
	_, err = a.CancelOutbox(context.Background(), actor, held.ID)
	if !errors.Is(err, agency.ErrConflict) || !strings.Contains(err.Error(), "already cancelled") {
		t.Fatalf("cancelling again: %v", err)
	}

	// The quota is released: the file refused before now fits, declared
	// as the message is sent.
	sent, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: body, Attach: []agency.AttachFile{{Path: second}}})
	if err != nil {
		t.Fatalf("the same file after the cancel: %v", err)
	}
	waitState(t, a, sent.ID, agency.CopyDelivered, "gh-ag")

	// A published message cannot be cancelled.
	_, err = a.CancelOutbox(context.Background(), actor, sent.ID)
	var he *hint.Error
	if !errors.As(err, &he) || !errors.Is(err, agency.ErrConflict) || !strings.Contains(he.Msg, "already published (gh-ag delivered)") || !strings.Contains(he.Fix, "cannot be withdrawn") {
		t.Fatalf("cancelling a published message: %v", err)
	}

	// After a restart the cancel holds: nothing resurrects the message.
	// An encrypted file a node killed after the cancel's commit left
	// behind is removed as the node opens.
	w.stopNode("sn-pj")
	if err := os.WriteFile(spool(as[1].Object), []byte("left by a crash"), 0o600); err != nil {
		t.Fatal(err)
	}
	a = w.start("sn-pj")
	if _, err := os.Stat(spool(as[1].Object)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the encrypted file of a cancelled message survived the restart: %v", err)
	}
	if s := copyState(t, a, held.ID, "gh-ag"); s != agency.CopyCancelled {
		t.Fatalf("after the restart the copy is %s", s)
	}
	another, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, a, another.ID, agency.CopyDelivered, "gh-ag")
	if ids := inboxIDs(t, b); slices.Contains(ids, held.ID) || !slices.Contains(ids, sent.ID) {
		t.Fatalf("the recipient's inbox %v", ids)
	}
	st, err := a.Status(context.Background())
	if err != nil || st.Outbox.Copies[agency.CopyCancelled] != 1 {
		t.Fatalf("status counts %v cancelled copies: %v", st.Outbox.Copies, err)
	}

	// The audit log tells who cancelled what, and verifies.
	var cancels []auditlog.Access
	for _, r := range w.audit("sn-pj") {
		var acc auditlog.Access
		if r.Type == auditlog.TypeAccess && json.Unmarshal(r.Payload, &acc) == nil && acc.Action == "outbox-cancel" {
			if r.Actor != actor.Name || r.MessageID != held.ID {
				t.Fatalf("cancel record by %s of %s", r.Actor, r.MessageID)
			}
			cancels = append(cancels, acc)
		}
	}
	if len(cancels) != 1 || cancels[0].Direction != "out" || !strings.Contains(cancels[0].Detail, `"photos.zip"`) || !strings.Contains(cancels[0].Detail, "member_limits.attachment_bytes") {
		t.Fatalf("cancel records %+v", cancels)
	}
	w.verifyLog("sn-pj")

	// The hub never stored the cancelled message.
	w.withHubStore(func(ctx context.Context, js jetstream.JetStream) {
		s, err := js.Stream(ctx, protocol.StreamName(w.network))
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				continue
			}
			if strings.Contains(m.Header.Get(jetstream.MsgIDHeader), held.ID) {
				t.Fatalf("the hub stored the cancelled message at %d (%s)", seq, m.Subject)
			}
		}
	})
}

func TestAFailedSendDeletesWhatItDeclared(t *testing.T) {
	t.Parallel()
	const quota = 1 << 20
	w := newNetwork(t, netOptions{Hub: func(h *config.Hub) { h.MemberLimits.AttachmentBytes, h.MaxAttachmentSize = quota, quota }}, "sn-pj", "gh-ag")
	a := w.node("sn-pj")
	dir := t.TempDir()
	first, _ := writeFile(t, dir, "statement.pdf", 600<<10)
	second, _ := writeFile(t, dir, "photos.zip", 600<<10)
	body := protocol.Example(protocol.TypeLead)
	// The hub takes the first file's declaration, and refuses the second's:
	// the send fails, after the first was declared and its upload started.
	_, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: body,
		Attach: []agency.AttachFile{{Path: first}, {Path: second}}})
	if err == nil || !strings.Contains(err.Error(), "member_limits.attachment_bytes") {
		t.Fatalf("got %v, want the quota's refusal", err)
	}
	// The node deletes the first at the hub: the quota holds one of them.
	poll.Until(t, time.Minute, "a file of the failed send to fit the quota", func() bool {
		_, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: body,
			Attach: []agency.AttachFile{{Path: second}}})
		return err == nil
	})
	if items, err := a.Outbox(context.Background(), agency.OutboxQuery{}); err != nil || len(items) != 1 {
		t.Fatalf("outbox: %d messages, %v", len(items), err)
	}
}
