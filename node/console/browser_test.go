package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browserNames are the names Debian and others give Chromium.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome"}

// newBrowser starts a headless Chromium for the test. A missing browser
// fails the test with the fix: the browser tests are never skipped.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, n := range browserNames {
		if p, err := exec.LookPath(n); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("the console's browser tests need Chromium, and none is on the PATH: run 'apt-get install -y chromium' (make test does it when run as root)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return bctx
}

// tab opens a tab of its own browser context (its own cookies), whose
// requests say the browser prefers lang.
func tab(t *testing.T, browser context.Context, lang string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// do runs steps with a deadline derived from the tab's context.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("at %s: %v", loc, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %q: %v", js, err)
	}
	return v
}

// weight is what a page cost: its HTML and everything it loaded.
type weight struct {
	HTML     int      `json:"html"`
	Total    int      `json:"total"`
	External []string `json:"external"`
}

// weightJS sums the decoded (uncompressed, uncached) sizes of the page and
// its resources, and lists any resource from another origin.
const weightJS = `(() => { const n = performance.getEntriesByType('navigation')[0]; const rs = performance.getEntriesByType('resource');
return {html: n.decodedBodySize, total: n.decodedBodySize + rs.reduce((a, r) => a + r.decodedBodySize, 0),
external: rs.filter(r => !r.name.startsWith(location.origin)).map(r => r.name)}; })()`

// measure checks a page's weight against the quality bar and logs it.
func measure(t *testing.T, ctx context.Context, name string) weight {
	t.Helper()
	w := eval[weight](t, ctx, weightJS)
	t.Logf("page weight %-8s html %6d B, with assets %6d B", name, w.HTML, w.Total)
	if w.Total >= 100<<10 {
		t.Errorf("page %s weighs %d bytes, over 100 KB", name, w.Total)
	}
	if len(w.External) > 0 {
		t.Errorf("page %s loads from elsewhere: %v", name, w.External)
	}
	return w
}

// shot writes a PNG of the page to $CASENODE_SCREENSHOTS/name.png when that
// is set (make screenshots).
func shot(t *testing.T, ctx context.Context, name string) {
	shotOf(t, ctx, name, chromedp.FullScreenshot(100))
}

// shotTop writes a PNG of what the window shows, for a long page.
func shotTop(t *testing.T, ctx context.Context, name string) {
	shotOf(t, ctx, name, chromedp.CaptureScreenshot())
}

func shotOf(t *testing.T, ctx context.Context, name string, a chromedp.Action[[]byte]) {
	t.Helper()
	dir := os.Getenv("CASENODE_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func signInBrowser(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"signin"), chromedp.WaitVisible("#name"),
		chromedp.SendKeys("#name", name), chromedp.SendKeys("#password", password), chromedp.Click("#signin"),
		chromedp.WaitVisible("#signout"))
}

func htmlLang(t *testing.T, ctx context.Context) string {
	return eval[string](t, ctx, `document.documentElement ? document.documentElement.lang : ""`)
}

// TestBrowserExchange is the console's end-to-end test: a prosecutor at
// Dakar signs in in French, sends Accra a request for expedited
// preservation of stored computer data; a prosecutor at Accra signs in in
// Portuguese, opens it and replies; back at Dakar the request's state is
// read and the reply sits in the case thread. Everything goes through
// Chromium, the hub and both nodes are real.
func TestBrowserExchange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	browser := newBrowser(t)
	tn := startNet(t, ctx)
	dk, ac := tab(t, browser, "fr-FR,fr;q=0.9"), tab(t, browser, "pt-PT,pt;q=0.9,en;q=0.5")
	dURL, aURL := tn.urls[dakar], tn.urls[accra]

	do(t, dk, chromedp.Navigate(dURL+"signin"), chromedp.WaitVisible("#name"))
	shot(t, dk, "signin-fr")
	signInBrowser(t, dk, dURL, "aminata")
	if l := htmlLang(t, dk); l != "fr" {
		t.Fatalf("Dakar's console speaks %q, want fr", l)
	}
	do(t, dk, chromedp.Navigate(dURL+"compose?kind=expedited-preservation"), chromedp.WaitVisible("#f-facts"))
	if h := eval[string](t, dk, `document.querySelector('main h2').textContent`); h != "Conservation rapide de données informatiques stockées" {
		t.Errorf("compose title %q", h)
	}
	measure(t, dk, "compose")
	checkAccessible(t, dk, "compose")
	do(t, dk,
		chromedp.Click("#to-"+accra),
		chromedp.SendKeys("#f-case", "sn-2026-0099"),
		chromedp.SetValue("#f-urgency", "urgent"),
		chromedp.SendKeys("#f-legal_basis-0-instrument", "Convention de Budapest sur la cybercriminalité"),
		chromedp.SendKeys("#f-legal_basis-0-article", "art. 29"),
		chromedp.SendKeys("#f-facts", "Escroquerie en ligne visant des épargnants sénégalais; les fonds transitent par un compte de messagerie hébergé au Ghana."),
		chromedp.SendKeys("#f-offences", "Escroquerie (article 379 du Code pénal)."),
		chromedp.SendKeys("#f-data_link", "Les victimes ont versé les fonds sur instruction reçue depuis ce compte."),
		chromedp.SendKeys("#f-necessity", "Le fournisseur efface les données après 30 jours."),
		chromedp.SendKeys("#f-data_to_preserve", "Contenu et données de trafic du compte fraud.desk@example.com.gh, du 1er juin 2026 à ce jour."),
		chromedp.SendKeys("#f-custodian", "Le fournisseur de messagerie qui héberge le compte, à Accra."),
		chromedp.SendKeys("#f-followup", "Une demande d'entraide judiciaire pour la communication des données suivra sous 60 jours."),
		chromedp.Click("#f-languages-0"), chromedp.Click("#f-languages-1"))
	do(t, dk, chromedp.Evaluate[chromedp.Void]("window.scrollTo(0, 0)"))
	shotTop(t, dk, "compose-fr")
	// Accra signs in with the keyboard alone: type, Tab, type, Enter.
	do(t, ac, chromedp.Navigate(aURL+"signin"), chromedp.WaitVisible("#name"), chromedp.Focus("#name"),
		chromedp.KeyEvent("kwame"), chromedp.KeyEvent("\t"), chromedp.KeyEvent(password), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible("#signout"))
	if l := htmlLang(t, ac); l != "pt" {
		t.Fatalf("Accra's console speaks %q, want pt", l)
	}
	start := time.Now()
	do(t, dk, chromedp.Click("#send"), chromedp.WaitVisible("ul.copies"))
	shot(t, dk, "sent-fr")

	var arrived time.Duration
	poll(t, "the request in Accra's inbox, in the browser", 2*time.Minute, func() bool {
		do(t, ac, chromedp.Navigate(aURL+"inbox"), chromedp.WaitVisible("main"))
		if eval[int](t, ac, `document.querySelectorAll('button[data-id]').length`) == 1 {
			arrived = time.Since(start)
			return true
		}
		return false
	})
	t.Logf("from clicking send at Dakar to Accra's inbox showing the request: %s", arrived.Round(time.Millisecond))
	measure(t, ac, "inbox")
	checkAccessible(t, ac, "inbox")
	shot(t, ac, "inbox-pt")
	do(t, ac, chromedp.Click("button[data-id]"), chromedp.WaitVisible("#reply"))
	measure(t, ac, "message")
	checkAccessible(t, ac, "message")
	shot(t, ac, "message-pt")
	if h := eval[string](t, ac, `document.querySelector('main h2').textContent`); h != "Conservação expedita de dados informáticos armazenados" {
		t.Errorf("the request's kind reads %q at Accra", h)
	}
	do(t, ac, chromedp.Click("#reply"), chromedp.WaitVisible("#f-text"))
	do(t, ac, chromedp.SendKeys("#f-text", "Dados conservados por 90 dias a partir de hoje; o pedido de divulgação deve seguir pela autoridade central."))
	shot(t, ac, "reply-pt")
	do(t, ac, chromedp.Click("#send"), chromedp.WaitVisible("ul.copies"))

	poll(t, "the request read at Accra, in Dakar's sent page", 2*time.Minute, func() bool {
		do(t, dk, chromedp.Navigate(dURL+"sent"), chromedp.WaitVisible("main"))
		return eval[int](t, dk, fmt.Sprintf(`document.querySelectorAll('li[data-to=%q][data-state="read"]').length`, accra)) == 1
	})
	shot(t, dk, "sent-read-fr")
	checkAccessible(t, dk, "sent")
	poll(t, "the reply in Dakar's case thread", 2*time.Minute, func() bool {
		do(t, dk, chromedp.Navigate(dURL+"cases/sn-2026-0099"), chromedp.WaitVisible("main"))
		in := eval[[]string](t, dk, `[...document.querySelectorAll('.timeline li.in')].map(e => e.textContent)`)
		return len(in) == 1 && strings.Contains(in[0], "Réponse") && strings.Contains(in[0], accra)
	})
	shot(t, dk, "case-fr")
	// The request, opened from the case, links to the reply that answers it.
	do(t, dk, chromedp.Click(".timeline li.out a"), chromedp.WaitVisible("#answers-h"))
	if a := eval[string](t, dk, `document.querySelector('#answers-h').parentElement.textContent`); !strings.Contains(a, "Réponse") || !strings.Contains(a, accra) {
		t.Errorf("the request's answers read %q", a)
	}
	do(t, dk, chromedp.Navigate(dURL+"inbox"), chromedp.WaitVisible("main"))
	shot(t, dk, "inbox-fr")

	// Dakar publishes its contact card; Accra finds the focal point.
	do(t, dk, chromedp.Navigate(dURL+"directory/own"), chromedp.WaitVisible("#publish"),
		chromedp.SendKeys("#country", "SN"), chromedp.SetValue("#c0\\.role", "focal-point"),
		chromedp.SendKeys("#c0\\.name", "Aminata Diop"), chromedp.SendKeys("#c0\\.title", "Substitut du procureur"),
		chromedp.SendKeys("#c0\\.languages", "fr, en, wo"), chromedp.SendKeys("#c0\\.email", "a.diop@justice.example"),
		chromedp.Click("#publish"), chromedp.WaitVisible("p.ok"))
	shot(t, dk, "own-card-fr")
	poll(t, "Dakar's focal point in Accra's directory", 2*time.Minute, func() bool {
		do(t, ac, chromedp.Navigate(aURL+"directory?q=diop"), chromedp.WaitVisible("main"))
		return strings.Contains(eval[string](t, ac, `[...document.querySelectorAll('section.contact')].map(e => e.textContent).join(' ')`), "Aminata Diop")
	})
	shot(t, ac, "directory-pt")

	// The same pages in English, after Kwame changes his language.
	do(t, ac, chromedp.Navigate(aURL+"inbox"), chromedp.WaitVisible("#lang-pick"),
		chromedp.SetValue("#lang-pick", "en"), chromedp.Click(`form[action="/settings/language"] button`))
	poll(t, "the console in English", time.Minute, func() bool { return htmlLang(t, ac) == "en" })
	shot(t, ac, "inbox-en")
	do(t, ac, chromedp.Navigate(aURL+"cases/sn-2026-0099"), chromedp.WaitVisible("main"))
	shot(t, ac, "case-en")
	do(t, ac, chromedp.Click(".timeline li.in a"), chromedp.WaitVisible("main h2"))
	shot(t, ac, "message-en")

	// A lead, as a reader sees it: its handling code says what Kwame may
	// and may not do with it.
	// Its way, measured without the browser as a baseline: from Send to
	// Accra's node holding it.
	start = time.Now()
	lead, err := tn.net.Node(dakar).Send(ctx, testActor, agency.SendRequest{To: []string{accra}, Type: protocol.TypeLead, Case: "sn-2026-0100", Body: protocol.Example(protocol.TypeLead)})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the lead in Accra's node", 2*time.Minute, func() bool {
		ms, _ := tn.net.Node(accra).Inbox(ctx, agency.InboxQuery{Unread: true})
		return slices.ContainsFunc(ms, func(m *agency.MessageSummary) bool { return m.ID == lead.ID })
	})
	t.Logf("baseline: from Send at Dakar's node to Accra's node holding the lead: %s", time.Since(start).Round(time.Millisecond))
	sel := fmt.Sprintf("button[data-id=%q]", lead.ID)
	poll(t, "the lead in Accra's inbox", 2*time.Minute, func() bool {
		do(t, ac, chromedp.Navigate(aURL+"inbox"), chromedp.WaitVisible("main"))
		return eval[int](t, ac, fmt.Sprintf("document.querySelectorAll(%q).length", sel)) == 1
	})
	do(t, ac, chromedp.Click(sel), chromedp.WaitVisible("section.handling"))
	if h := eval[string](t, ac, `document.querySelector('section.handling').textContent`); !strings.Contains(h, "H2") || !strings.Contains(h, "beyond your agency") {
		t.Errorf("the handling banner says %q", h)
	}
	shot(t, ac, "lead-en")
}
