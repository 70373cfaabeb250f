package console_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// copyOf returns the state of message id's copy for to in n's outbox.
func copyOf(t *testing.T, n *agency.Node, id, to string) agency.CopyState {
	t.Helper()
	items, err := n.Outbox(context.Background(), agency.OutboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.ID == id && it.Copies[to] != nil {
			return it.Copies[to].State
		}
	}
	t.Fatalf("no copy of %s for %s", id, to)
	return ""
}

func TestSentCancelsAMessageHeldForItsAttachments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tn := startNetWith(t, ctx, func(h *config.Hub) { h.MemberLimits.AttachmentBytes, h.MaxAttachmentSize = 1<<20, 1<<20 })
	a := tn.net.Node(dakar)
	var files []agency.AttachFile
	for _, name := range []string{"statement.pdf", "photos.zip"} {
		data := make([]byte, 600<<10)
		rand.Read(data)
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, agency.AttachFile{Path: p})
	}
	// Sent offline; back online, the hub refuses the second file (the
	// agency's quota): the message is held.
	if err := tn.net.StopHub(); err != nil {
		t.Fatal(err)
	}
	poll(t, "Dakar offline", 30*time.Second, func() bool {
		st, err := a.Status(ctx)
		return err == nil && st.Hub.State != "online"
	})
	const caseID = "SN/2026/0099"
	held, err := a.Send(ctx, testActor, agency.SendRequest{To: []string{accra}, Type: protocol.TypeRequest, Case: caseID, Body: protocol.Example(protocol.TypeRequest), Attach: files})
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.net.StartHub(ctx); err != nil {
		t.Fatal(err)
	}
	poll(t, "the second file refused", time.Minute, func() bool {
		as, _ := a.Attachments(held.ID)
		return len(as) == 2 && as[1].State == "refused"
	})
	published, err := a.Send(ctx, testActor, agency.SendRequest{To: []string{accra}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the other message delivered", time.Minute, func() bool { return copyOf(t, a, published.ID, accra) == agency.CopyDelivered })

	c := client(t)
	base := tn.urls[dakar]
	signIn(t, c, base, "aminata", password)
	_, page := get(t, c, base+"sent")
	link := `href="/sent/` + held.ID + `/cancel"`
	if !strings.Contains(page, link) || !strings.Contains(page, "the hub refused the attachment photos.zip") {
		t.Fatalf("the sent page offers no cancel of the held message:\n%s", page)
	}
	if strings.Contains(page, `href="/sent/`+published.ID+`/cancel"`) {
		t.Fatal("the sent page offers to cancel a published message")
	}
	resp, page := get(t, c, base+"sent/"+held.ID+"/cancel")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Cancel this message?") || !strings.Contains(page, `action="/sent/`+held.ID+`/cancel"`) {
		t.Fatalf("the confirmation page: %s\n%s", resp.Status, page)
	}
	// Without the form's token, nothing happens.
	if resp, _ := post(t, c, base+"sent/"+held.ID+"/cancel", url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a cancel with a forged token: %s", resp.Status)
	}
	if s := copyOf(t, a, held.ID, accra); s != agency.CopyQueued {
		t.Fatalf("after a forged post the copy is %s", s)
	}
	resp, _ = post(t, c, base+"sent/"+held.ID+"/cancel", url.Values{"csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sent" {
		t.Fatalf("the cancel: %s to %s", resp.Status, resp.Header.Get("Location"))
	}
	_, page = get(t, c, base+"sent")
	if s := copyOf(t, a, held.ID, accra); s != agency.CopyCancelled {
		t.Fatalf("after the cancel the copy is %s", s)
	}
	if strings.Contains(page, link) || !strings.Contains(page, `data-state="cancelled"`) || !strings.Contains(page, "Cancelled before it was sent") {
		t.Fatalf("the sent page after the cancel:\n%s", page)
	}
	// A request withdrawn waits for no answer in its case.
	_, page = get(t, c, base+"cases/"+url.PathEscape(caseID))
	if !strings.Contains(page, "Nothing in this case waits for an answer.") {
		t.Fatalf("the case of the cancelled request:\n%s", page)
	}
	_, page = get(t, c, base+"messages/"+held.ID)
	if strings.Count(page, "cancelled with its message (never sent)") != 2 {
		t.Fatalf("the cancelled message's page does not say its attachments are cancelled:\n%s", page)
	}
	// A published message: refused, in the reader's words.
	resp, page = post(t, c, base+"sent/"+published.ID+"/cancel", url.Values{"csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "can no longer be cancelled") {
		t.Fatalf("cancelling a published message: %s\n%s", resp.Status, page)
	}
	// In French too.
	post(t, c, base+"settings/language", url.Values{"lang": {"fr"}, "csrf": {csrfOf(t, page)}})
	_, page = get(t, c, base+"sent")
	if !strings.Contains(page, "Annulé avant l&#39;envoi") {
		t.Fatalf("the French sent page:\n%s", page)
	}

	// The audit log names the console's account.
	var buf bytes.Buffer
	if _, err := a.AuditSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var by []string
	if err := r.Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		var acc auditlog.Access
		if rec.Type == auditlog.TypeAccess && json.Unmarshal(payload, &acc) == nil && acc.Action == "outbox-cancel" && rec.MessageID == held.ID {
			by = append(by, rec.Actor)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(by) != 1 || by[0] != "console:aminata" {
		t.Fatalf("cancel records by %v, want console:aminata once", by)
	}
}
