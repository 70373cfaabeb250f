package agency_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// writeFile writes size random bytes into a file in dir and returns its
// path and SHA-256.
func writeFile(t *testing.T, dir, name string, size int) (string, string) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return p, hex.EncodeToString(sum[:])
}

// sendWaiting sends a lead from sn-pj to gh-ag with one attachment of
// size bytes named name, on a network whose nodes fetch no attachment by
// themselves, and waits until gh-ag has the message with its attachment
// waiting.
func sendWaiting(t *testing.T, name string, size int) (*testNetwork, *agency.Node, *agency.Node, *agency.SendResult) {
	t.Helper()
	w := newNetwork(t, netOptions{Config: func(c *config.Node) { c.AttachmentAutoFetch = 0 }}, "sn-pj", "gh-ag")
	a, b := w.node("sn-pj"), w.node("gh-ag")
	path, _ := writeFile(t, t.TempDir(), name, size)
	res, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 20*time.Second, "the message at gh-ag, its attachment waiting", func() bool {
		as, _ := b.Attachments(res.ID)
		return len(as) == 1 && as[0].State == "waiting"
	})
	return w, a, b, res
}

// attachmentsOf returns the attachments of message id at n.
func attachmentsOf(t *testing.T, n *agency.Node, id string) []agency.Attachment {
	t.Helper()
	as, err := n.Attachments(id)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func allDone(as []agency.Attachment) bool {
	for _, a := range as {
		if a.State != "done" {
			return false
		}
	}
	return len(as) > 0
}

func TestAttachmentArrivesCheckedAndDeliveredAfterIt(t *testing.T) {
	t.Parallel()
	w := newNetwork(t, netOptions{}, "sn-pj", "gh-ag")
	a, b := w.node("sn-pj"), w.node("gh-ag")
	path, sum := writeFile(t, t.TempDir(), "court-order.pdf", 3<<20+12345)
	small, smallSum := writeFile(t, t.TempDir(), "note.txt", 10)
	res, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}, {Path: small}}})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, a, res.ID, agency.CopyDelivered, "gh-ag")
	got := attachmentsOf(t, b, res.ID)
	if !allDone(got) {
		t.Fatalf("delivered before its attachments were here: %+v", got)
	}
	if got[0].Name != "court-order.pdf" || got[0].Media != "application/pdf" || got[0].SHA256 != sum || got[1].SHA256 != smallSum {
		t.Fatalf("manifests %+v", got)
	}
	var out bytes.Buffer
	m, err := b.AttachmentGet(context.Background(), actor, res.ID, "court-order.pdf", &out)
	if err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(out.Bytes()); hex.EncodeToString(s[:]) != sum || m.SHA256 != sum {
		t.Fatal("the file given back is not the one sent")
	}
	// The sender reads its own copy too, and both audit logs hold the
	// attachment's digests.
	out.Reset()
	if _, err := a.AttachmentGet(context.Background(), actor, res.ID, "note.txt", &out); err != nil || out.Len() != 10 {
		t.Fatalf("the sender's copy: %v (%d bytes)", err, out.Len())
	}
	recs := w.audit("gh-ag")
	found := false
	for _, r := range recs {
		if strings.Contains(string(r.Payload), `"action":"attachment-received"`) && strings.Contains(string(r.Payload), sum) {
			found = true
		}
	}
	if !found {
		t.Fatal("the receiver's audit log has no record of the attachment with its digest")
	}
	_, err = b.AttachmentGet(context.Background(), actor, res.ID, "other.pdf", &out)
	var he *hint.Error
	if !errors.As(err, &he) || !strings.Contains(he.Msg, `"other.pdf"`) || !strings.Contains(he.Fix, "court-order.pdf, note.txt") {
		t.Fatalf("an unknown name: %v", err)
	}
}

func TestAttachmentOverTheLimitIsRefusedBeforeUpload(t *testing.T) {
	t.Parallel()
	w := newNetwork(t, netOptions{Hub: func(h *config.Hub) { h.MaxAttachmentSize = 1 << 20 }}, "sn-pj", "gh-ag")
	a := w.node("sn-pj")
	path, _ := writeFile(t, t.TempDir(), "big.bin", 2<<20)
	_, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}}})
	if err == nil || !strings.Contains(err.Error(), "max_attachment_size") || !strings.Contains(err.Error(), "big.bin") {
		t.Fatalf("got %v, want a refusal naming max_attachment_size", err)
	}
	items, err := a.Outbox(context.Background(), agency.OutboxQuery{})
	if err != nil || len(items) != 0 {
		t.Fatalf("outbox after the refusal: %d items, %v", len(items), err)
	}
	spooled, _ := filepath.Glob(filepath.Join(w.nodes["sn-pj"].dir, "attachments", "out", "*"))
	if len(spooled) != 0 {
		t.Fatalf("the refused file's ciphertext is left: %v", spooled)
	}
}

func TestAttachmentAboveAutoFetchWaitsForDemand(t *testing.T) {
	t.Parallel()
	w := newNetwork(t, netOptions{Config: func(c *config.Node) { c.AttachmentAutoFetch = 1 << 20 }}, "sn-pj", "gh-ag")
	a, b := w.node("sn-pj"), w.node("gh-ag")
	path, sum := writeFile(t, t.TempDir(), "audio.wav", 2<<20)
	res, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 20*time.Second, "the message at gh-ag", func() bool {
		as, _ := b.Attachments(res.ID)
		return len(as) == 1
	})
	if as := attachmentsOf(t, b, res.ID); as[0].State != "waiting" {
		t.Fatalf("state %s, want waiting", as[0].State)
	}
	if s := copyState(t, a, res.ID, "gh-ag"); s == agency.CopyDelivered {
		t.Fatal("delivered while its attachment waits")
	}
	var out bytes.Buffer
	if _, err := b.AttachmentGet(context.Background(), actor, res.ID, "audio.wav", &out); err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(out.Bytes()); hex.EncodeToString(s[:]) != sum {
		t.Fatal("wrong bytes")
	}
	waitState(t, a, res.ID, agency.CopyDelivered, "gh-ag")
}

func TestAttachmentIsUploadedWhileEncryptedAndFetchedWhileUploaded(t *testing.T) {
	t.Parallel()
	w := newNetwork(t, netOptions{}, "sn-pj", "gh-ag")
	a, b := w.node("sn-pj"), w.node("gh-ag")
	path, sum := writeFile(t, t.TempDir(), "intercepts.wav", 24<<20+321)
	res, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, a, res.ID, agency.CopyDelivered, "gh-ag")
	got := attachmentsOf(t, b, res.ID)
	// The receiver had the whole file when the message came: it learned of
	// the object when the sender declared it, before the message.
	if len(got) != 1 || got[0].State != "done" || got[0].SHA256 != sum || got[0].Resumed != got[0].CipherSize || got[0].Moved != 0 {
		t.Fatalf("received %+v, want the whole file fetched before its message came", got)
	}
	// The sender's upload started while it encrypted: when the transfer
	// loop took the attachment, the hub had every chunk.
	sent := attachmentsOf(t, a, res.ID)
	if sent[0].State != "done" || sent[0].Resumed != sent[0].CipherSize {
		t.Fatalf("sent %+v, want every chunk at the hub before the message was recorded", sent)
	}
	var out bytes.Buffer
	if _, err := b.AttachmentGet(context.Background(), actor, res.ID, "intercepts.wav", &out); err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(out.Bytes()); hex.EncodeToString(s[:]) != sum {
		t.Fatal("the file given back is not the one sent")
	}
}

func TestAttachmentLeftoversAreSweptAtOpen(t *testing.T) {
	t.Parallel()
	w, _, b, res := sendWaiting(t, "order.pdf", 3000)
	object := attachmentsOf(t, b, res.ID)[0].Object
	old := time.Now().Add(-48 * time.Hour)
	put := func(agency, rel string, mtime time.Time) string {
		p := filepath.Join(w.nodes[agency].dir, "attachments", rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Left by a send killed before its message was recorded, a console
	// upload cut short, and early fetches: one stale, one recent, one of a
	// message here (its download resumes from it).
	orphan := put("sn-pj", "out/"+strings.Repeat("a", 32)+".age", time.Now())
	upload := put("sn-pj", "upload-123/0", time.Now())
	stale := put("gh-ag", "in/"+strings.Repeat("b", 32)+".age.part", old)
	recent := put("gh-ag", "in/"+strings.Repeat("c", 32)+".age.part", time.Now())
	named := put("gh-ag", "in/"+object+".age.part", old)
	sent := filepath.Join(w.nodes["sn-pj"].dir, "attachments", "out", object+".age")
	for _, n := range []string{"sn-pj", "gh-ag"} {
		w.stopNode(n)
		w.start(n)
	}
	for p, keep := range map[string]bool{orphan: false, upload: false, stale: false, recent: true, named: true, sent: true} {
		if _, err := os.Stat(p); (err == nil) != keep {
			t.Errorf("%s: kept %v, want %v", p, err == nil, keep)
		}
	}
	if _, err := os.Stat(filepath.Dir(upload)); err == nil {
		t.Errorf("the upload directory %s is left", filepath.Dir(upload))
	}
}
