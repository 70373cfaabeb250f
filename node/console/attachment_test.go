package console_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

func TestAttachmentDownload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	data := make([]byte, 300<<10)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "relevé bancaire.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := tn.net.Node(dakar).Send(ctx, testActor, agency.SendRequest{To: []string{accra}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the attachment at Accra", time.Minute, func() bool {
		as, _ := tn.net.Node(accra).Attachments(res.ID)
		return len(as) == 1 && as[0].State == "done"
	})
	c := client(t)
	base := tn.urls[accra]
	signIn(t, c, base, "kwame", password)
	if _, err := tn.net.Node(accra).Show(ctx, testActor, res.ID); err != nil {
		t.Fatal(err)
	}
	_, page := get(t, c, base+"messages/"+res.ID)
	if !strings.Contains(page, `href="/messages/`+res.ID+`/attachments/relev%c3%a9%20bancaire.pdf"`) || !strings.Contains(page, "300.0 KiB") {
		t.Fatalf("the message page lists no download link for the attachment:\n%s", page)
	}
	resp, body := get(t, c, base+"messages/"+res.ID+"/attachments/relev%C3%A9%20bancaire.pdf")
	if resp.StatusCode != 200 || body != string(data) {
		t.Fatalf("download: %s, %d bytes", resp.Status, len(body))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "relev") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	resp, _ = get(t, c, base+"messages/"+res.ID+"/attachments/other.pdf")
	if resp.StatusCode != 404 {
		t.Fatalf("an unknown attachment: %s", resp.Status)
	}
}
