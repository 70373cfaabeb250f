package console_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestBrowserAttachmentDownload: Dakar sends Accra a lead with a bank
// statement; a prosecutor at Accra, in Portuguese, opens the message in
// Chromium, sees the file checked and here, and downloads it with the
// browser: the file Chromium saves is the one sent, byte for byte. Once
// the node's copy is damaged on its disk, the browser's download fails.
func TestBrowserAttachmentDownload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	br := newBrowser(t)
	tn := startNet(t, ctx)
	data := make([]byte, 700<<10+3)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "extrato bancário.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := tn.net.Node(dakar).Send(ctx, testActor, agency.SendRequest{To: []string{accra}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	base := tn.urls[accra]
	ac := tab(t, br, "pt-PT,pt;q=0.9")
	signInBrowser(t, ac, base, "kwame")
	sel := `button[data-id="` + res.ID + `"]`
	poll(t, "the lead in Accra's inbox", 2*time.Minute, func() bool {
		do(t, ac, chromedp.Navigate(base+"inbox"), chromedp.WaitVisible("main"))
		return eval[int](t, ac, "document.querySelectorAll('"+sel+"').length") == 1
	})
	do(t, ac, chromedp.Click(sel), chromedp.WaitVisible("#attachments-h"))
	poll(t, "the file checked at Accra, on the message's page", 2*time.Minute, func() bool {
		do(t, ac, chromedp.Navigate(base+"messages/"+res.ID), chromedp.WaitVisible("main"))
		return eval[int](t, ac, `document.querySelectorAll('ul.attachments a[download]').length`) == 1
	})
	if li := eval[string](t, ac, `document.querySelector('ul.attachments li').textContent`); !strings.Contains(li, "extrato bancário.pdf") || !strings.Contains(li, "verificado, disponível") {
		t.Fatalf("the attachment reads %q", li)
	}

	dir := t.TempDir()
	done := make(chan browser.EventDownloadProgress, 1)
	if err := chromedp.ListenBrowser(ac, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && (e.State == browser.DownloadProgressStateCompleted || e.State == browser.DownloadProgressStateCanceled) {
			select {
			case done <- *e:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	events := true
	if _, err := chromedp.CallBrowser(ac, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName,
		BrowserContextID: chromedp.FromContext(ac).BrowserContextID, DownloadPath: dir, EventsEnabled: &events}); err != nil {
		t.Fatal(err)
	}
	do(t, ac, chromedp.Click(`ul.attachments a[download]`))
	var ev browser.EventDownloadProgress
	select {
	case ev = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the browser's download did not end within a minute")
	}
	if ev.State != browser.DownloadProgressStateCompleted {
		t.Fatalf("the download ended %s", ev.State)
	}
	got, err := os.ReadFile(filepath.Join(dir, ev.GUID))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("the browser saved %d bytes that are not the file sent (%d bytes)", len(got), len(data))
	}
	if int(ev.ReceivedBytes) != len(data) {
		t.Errorf("the browser received %v bytes, want %d", ev.ReceivedBytes, len(data))
	}

	// The node's copy damaged on its disk near its end: the download
	// breaks off after the first parts, and the browser says it failed
	// rather than keeping a file.
	copies, err := filepath.Glob(filepath.Join(tn.net.AgencyDir(accra), "attachments", "in", "*.age"))
	if err != nil || len(copies) != 1 {
		t.Fatalf("the node's copy: %v %v", copies, err)
	}
	f, err := os.OpenFile(copies[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	b := []byte{0}
	f.ReadAt(b, st.Size()-100)
	b[0] ^= 1
	if _, err := f.WriteAt(b, st.Size()-100); err != nil {
		t.Fatal(err)
	}
	f.Close()
	do(t, ac, chromedp.Click(`ul.attachments a[download]`))
	select {
	case ev = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the browser's download of the damaged copy did not end within a minute")
	}
	if ev.State != browser.DownloadProgressStateCanceled {
		t.Fatalf("the download of the damaged copy ended %s with %v bytes", ev.State, ev.ReceivedBytes)
	}
}
