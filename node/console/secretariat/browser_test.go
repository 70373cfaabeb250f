package secretariat_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/browsertest"
	"github.com/casenode/casenode/protocol"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The browser helpers shared by the consoles' tests (package browsertest).
var (
	newBrowser = browsertest.New
	tab        = browsertest.Tab
	do         = browsertest.Do
)

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	return browsertest.Eval[T](t, ctx, js)
}

// measure checks a page's weight against the consoles' bar (100 KB with
// its assets, nothing from elsewhere) and logs it.
func measure(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.Measure(t, ctx, name)
}

// shot writes a PNG of what the window shows to
// $CASENODE_SCREENSHOTS/secretariat-name.png when that is set (make
// screenshots).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.ShotTop(t, ctx, "secretariat-"+name)
}

// TestBrowserSecretariat is the secretariat console's end-to-end test in
// Chromium, on a real hub and real nodes: the secretariat signs in with
// the keyboard; admits a new agency by pasting its card and typing the
// key's passphrase; the new agency's node joins with the credentials the
// console made and receives a message; the secretariat revokes another
// agency and sees it disconnected; the statistics page shows the messages
// the test sent; every page passes the accessibility checks.
func TestBrowserSecretariat(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	browser := newBrowser(t)
	th := startHub(t, ctx)
	b := tab(t, browser, "en-GB,en;q=0.9")
	base := th.url

	// Sign in with the keyboard alone: type, Tab, type, Enter.
	do(t, b, chromedp.Navigate(base+"signin"), chromedp.WaitVisible("#name"))
	measure(t, b, "signin")
	checkAccessible(t, b, "signin")
	do(t, b, chromedp.Focus("#name"),
		chromedp.KeyEvent("fatou"), chromedp.KeyEvent("\t"), chromedp.KeyEvent(password), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible("#signout"))
	poll.Until(t, time.Minute, "both agencies connected on the members page", func() bool {
		do(t, b, chromedp.Navigate(base+"members"), chromedp.WaitVisible("#members"))
		return eval[int](t, b, `document.querySelectorAll('td[data-connected="yes"]').length`) == 2
	})
	measure(t, b, "members")
	checkAccessible(t, b, "members")
	shot(t, b, "members")

	// Admit Abuja: its card pasted, the passphrase typed.
	const abuja = "ng-moj-abuja"
	id, err := identity.Generate("wacap", abuja, "Federal Ministry of Justice", "NG", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := th.net.AgencyDir(abuja)
	if err := id.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	card, err := os.ReadFile(filepath.Join(dir, identity.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	do(t, b, chromedp.Navigate(base+"admit"), chromedp.WaitVisible("#card"))
	measure(t, b, "admit")
	checkAccessible(t, b, "admit")
	do(t, b, chromedp.SetValue("#card", string(card)), chromedp.SendKeys("#passphrase", passphrase))
	shot(t, b, "admit")
	do(t, b, chromedp.Click("#admit"), chromedp.WaitVisible("#admitted"))
	measure(t, b, "admitted")
	creds := eval[string](t, b, `document.querySelector('#creds-path').textContent`)
	if filepath.Base(creds) != abuja+".creds" {
		t.Fatalf("credentials at %q", creds)
	}
	key := th.net.SecretariatCard.SigningKey
	if _, err := agency.Join(dir, agency.JoinOptions{HubURLs: []string{th.net.HubURL()}, SecretariatKey: &key, Creds: creds, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := th.net.Start(ctx, abuja); err != nil {
		t.Fatal(err)
	}
	if err := th.net.WaitReady(ctx, abuja, 4); err != nil {
		t.Fatal(err)
	}
	// Dakar learns the new roster, then sends Abuja three leads and a
	// request; the hub's statistics count each within a poll.
	dk := th.net.Node(dakar)
	if err := th.net.WaitReady(ctx, dakar, 4); err != nil {
		t.Fatal(err)
	}
	h := th.net.Hub()
	today := time.Now().UTC()
	counted := func() int64 {
		for _, p := range h.Stats(today, today, time.Now()).Pairs {
			if p.From == "SN" && p.To == "NG" {
				return p.Messages
			}
		}
		return 0
	}
	var lastID string
	for i := range 4 {
		typ, caseID := protocol.TypeLead, ""
		if i == 3 {
			typ, caseID = protocol.TypeRequest, "sn-2026-0200"
		}
		start := time.Now()
		sent, err := dk.Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "test"}, agency.SendRequest{To: []string{abuja}, Type: typ, Case: caseID, Body: protocol.Example(typ)})
		if err != nil {
			t.Fatal(err)
		}
		lastID = sent.ID
		poll.Until(t, time.Minute, fmt.Sprintf("message %d counted", i+1), func() bool { return counted() == int64(i+1) })
		t.Logf("statistics updated %s after Send returned (message %d)", time.Since(start).Round(time.Millisecond), i+1)
	}
	poll.Until(t, 2*time.Minute, "the request in Abuja's inbox", func() bool {
		ms, _ := th.net.Node(abuja).Inbox(ctx, agency.InboxQuery{})
		return slices.ContainsFunc(ms, func(m *agency.MessageSummary) bool { return m.ID == lastID })
	})

	// Revoke Accra and see it disconnected.
	do(t, b, chromedp.Navigate(base+"members/"+accra), chromedp.WaitVisible("#revoke-confirm"))
	measure(t, b, "member")
	checkAccessible(t, b, "member")
	shot(t, b, "member")
	do(t, b, chromedp.SendKeys("#revoke-confirm", accra), chromedp.SendKeys("#revoke-passphrase", passphrase),
		chromedp.Click("#revoke"), chromedp.WaitVisible("p.ok"))
	if s := eval[string](t, b, `document.querySelector('#member-status').textContent`); !strings.HasPrefix(s, "revoked") {
		t.Errorf("Accra's status reads %q", s)
	}
	// The hub disconnects Accra; its node may connect again, to read the
	// roster that tells it it is revoked, and nothing else.
	poll.Until(t, time.Minute, "Accra disconnected on the members page", func() bool {
		do(t, b, chromedp.Navigate(base+"members"), chromedp.WaitVisible("#members"))
		c := eval[map[string]string](t, b, fmt.Sprintf(`({...document.querySelector('tr[data-agency=%q] td[data-connected]').dataset})`, accra))
		return c["connected"] != "yes" && c["disconnected"] != ""
	})
	if a := eval[string](t, b, `document.querySelector('#actions tbody tr').dataset.action`); a != "revoke" {
		t.Errorf("the latest change reads %q", a)
	}

	// The statistics of what the test sent.
	do(t, b, chromedp.Navigate(base+"stats"), chromedp.WaitVisible("#pairs"))
	measure(t, b, "stats")
	checkAccessible(t, b, "stats")
	shot(t, b, "stats")
	cell := func(sel string) string {
		return eval[string](t, b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.textContent : ''; })()`, sel))
	}
	if got := cell(`tr[data-pair="SN>NG"] td.n`); got != "4" {
		t.Errorf("SN → NG messages: %q, want 4", got)
	}
	if got := cell(`tr[data-type="case.lead"] td.n`); got != "3" {
		t.Errorf("leads: %q, want 3", got)
	}
	if got := cell(`tr[data-type="case.request"] td.n`); got != "1" {
		t.Errorf("requests: %q, want 1", got)
	}
	if got := cell(`tr[data-band="lt7d"] td.n`); got != "1" {
		t.Errorf("unanswered requests under 7 days: %q, want 1", got)
	}
	if n := eval[int](t, b, `document.querySelectorAll('svg.chart rect').length`); n < 4 {
		t.Errorf("the flow map has %d cells", n)
	}
	// The CSV export says the same, fetched with the browser's session.
	csvURL := eval[string](t, b, `document.querySelector('#csv').href`)
	rows := csvRows(t, b, csvURL)
	for _, want := range [][]string{{"messages_by_country_pair", "", "SN", "NG", "4"}, {"messages_by_type", "case.lead", "", "", "3"}, {"requests_unanswered", "lt7d", "", "", "1"}} {
		if !slices.ContainsFunc(rows, func(r []string) bool { return slices.Equal(r, want) }) {
			t.Errorf("the CSV lacks %q", want)
		}
	}

	do(t, b, chromedp.Navigate(base+"alarms"), chromedp.WaitVisible("main"))
	measure(t, b, "alarms")
	checkAccessible(t, b, "alarms")

	// The same console in French and Portuguese, through the language
	// switch.
	for _, lang := range []string{"fr", "pt"} {
		do(t, b, chromedp.Navigate(base+"stats"), chromedp.WaitVisible("#lang-pick"),
			chromedp.SetValue("#lang-pick", lang), chromedp.Click(`form[action="/settings/language"] button`))
		poll.Until(t, time.Minute, "the console in "+lang, func() bool {
			return eval[string](t, b, `document.documentElement ? document.documentElement.lang : ""`) == lang
		})
		if lang == "fr" {
			shot(t, b, "stats-fr")
		}
	}
}

// csvRows fetches a CSV export with the tab's cookies and parses it.
func csvRows(t *testing.T, ctx context.Context, u string) [][]string {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("CSV: %d %v", resp.StatusCode, err)
	}
	return rows
}
