package console_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/browsertest"
	"github.com/casenode/casenode/protocol"
	"github.com/chromedp/chromedp"
)

// The browser helpers are package browsertest's, shared with the other
// consoles' tests.

func newBrowser(t *testing.T) context.Context { t.Helper(); return browsertest.New(t) }

func tab(t *testing.T, browser context.Context, lang string) context.Context {
	t.Helper()
	return browsertest.Tab(t, browser, lang)
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browsertest.Do(t, ctx, steps...)
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return browsertest.Eval[T](t, ctx, js)
}

func measure(t *testing.T, ctx context.Context, name string) browsertest.Weight {
	t.Helper()
	return browsertest.Measure(t, ctx, name)
}

func shot(t *testing.T, ctx context.Context, name string) { t.Helper(); browsertest.Shot(t, ctx, name) }

func shotTop(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.ShotTop(t, ctx, name)
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
