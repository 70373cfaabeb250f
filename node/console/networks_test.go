package console_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console"
	"github.com/casenode/casenode/node/console/browsertest"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
	"github.com/chromedp/chromedp"
)

// TestNetworksBar: the Dakar prosecutors' office is in two networks,
// WACAP and a Sahel network, and runs one node in each on the same
// machine. Its WACAP console names its network and lists the Sahel one
// with the messages waiting unread there, read from the Sahel node's API
// socket; a network whose node cannot be read shows as unknown, and the
// page is in the reader's language.
func TestNetworksBar(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	sahel, err := localnet.Create(ctx, t.TempDir(), localnet.Options{Network: "sahel", Kind: protocol.KindClassic, API: true},
		localnet.Agency{ID: dakar, Name: "Parquet de Dakar", Country: "SN"}, localnet.Agency{ID: "ml-mj", Name: "Ministère de la Justice", Country: "ML"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sahel.Close() })
	for _, a := range []string{dakar, "ml-mj"} {
		if _, err := sahel.Start(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := sahel.WaitReady(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := sahel.Node("ml-mj").Send(ctx, testActor, agency.SendRequest{To: []string{dakar}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)}); err != nil {
			t.Fatal(err)
		}
	}
	poll(t, "the Sahel node of Dakar to hold 2 unread messages", time.Minute, func() bool {
		s, err := sahel.Node(dakar).Status(ctx)
		return err == nil && s.Inbox.Unread == 2
	})

	// A second console of the WACAP node, configured with both.
	cfg := config.Console{Listen: "127.0.0.1:0", Networks: []config.ConsoleNetwork{
		{Network: "sahel", URL: "http://127.0.0.1:8441/", Socket: filepath.Join(sahel.AgencyDir(dakar), config.DefaultAPISocket)},
		{Network: "glr", URL: "http://127.0.0.1:8442/", Socket: filepath.Join(t.TempDir(), "none.sock")},
	}}
	srv, err := console.New(tn.net.Node(dakar), cfg, console.Options{})
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Serve(t, srv)
	c := client(t)
	signIn(t, c, srv.URL(), "aminata", password)
	_, body := get(t, c, srv.URL()+"inbox")
	bar := regexp.MustCompile(`(?s)<nav class="networks" aria-label="Networks">(.*?)</nav>`).FindStringSubmatch(body)
	if bar == nil {
		t.Fatalf("no network bar in the inbox page: %.2000s", body)
	}
	for _, want := range []string{
		`<span aria-current="true">wacap</span>`,
		`<a href="http://127.0.0.1:8441/">sahel · 2 unread</a>`,
		`<a href="http://127.0.0.1:8442/">glr · status unknown</a>`,
	} {
		if !strings.Contains(bar[1], want) {
			t.Errorf("network bar lacks %s:\n%s", want, bar[1])
		}
	}
	if !strings.Contains(body, "casenode · "+dakar+" · wacap") {
		t.Error("the page does not name its network")
	}

	// In a real browser: the bar reads well (contrast, focus outline),
	// and the keyboard reaches the Sahel link from the top of the page.
	bctx := tab(t, newBrowser(t), "en")
	signInBrowser(t, bctx, srv.URL(), "aminata")
	do(t, bctx, chromedp.Navigate(srv.URL()+"inbox"), chromedp.WaitVisible("nav.networks"))
	browsertest.CheckAccessible(t, bctx, "inbox with the network bar")
	do(t, bctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	reached := ""
	for range 20 {
		do(t, bctx, chromedp.KeyEvent("\t"))
		if reached = eval[string](t, bctx, `document.activeElement.textContent.trim()`); strings.HasPrefix(reached, "sahel") {
			break
		}
	}
	if reached != "sahel · 2 unread" {
		t.Errorf("tabbing through the page never reached the Sahel link (last focus %q)", reached)
	}
	shotTop(t, bctx, "console-networks")

	// The Sahel node stopped: shown as unknown once the status is read
	// again; and in French.
	if err := sahel.Stop(dakar); err != nil {
		t.Fatal(err)
	}
	post(t, c, srv.URL()+"settings/language", map[string][]string{"csrf": {csrfOf(t, body)}, "lang": {"fr"}, "back": {"/inbox"}})
	poll(t, "the bar to show the stopped node", 2*time.Minute, func() bool {
		_, body = get(t, c, srv.URL()+"inbox")
		return strings.Contains(body, `<a href="http://127.0.0.1:8441/">sahel · état inconnu</a>`)
	})
	if !strings.Contains(body, `aria-label="Réseaux"`) {
		t.Errorf("the French bar is not labelled Réseaux")
	}
}

// TestNetworksBarOnlyWhenConfigured: a node in one network shows no bar.
func TestNetworksBarOnlyWhenConfigured(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	c := client(t)
	signIn(t, c, tn.urls[dakar], "aminata", password)
	_, body := get(t, c, tn.urls[dakar]+"inbox")
	if strings.Contains(body, `class="networks"`) || strings.Contains(body, " · wacap</span>") {
		t.Errorf("a console without other networks shows a network bar")
	}
}
