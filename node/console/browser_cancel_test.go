package console_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/links"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/chromedp/chromedp"
)

// tabTo presses Tab until the element with id has the keyboard's focus,
// as someone without a mouse reaches it.
func tabTo(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	for range 100 {
		do(t, ctx, chromedp.KeyEvent("\t"))
		if eval[string](t, ctx, `document.activeElement ? document.activeElement.id : ""`) == id {
			return
		}
	}
	t.Fatalf("a hundred presses of Tab never reach #%s", id)
}

// TestBrowserSentCancel: at Dakar, over a link of 256 KB/s to the hub, a
// prosecutor signed in in French sends Accra a request with an 8 MiB file
// chosen in the compose page's file input; while the file goes up, the
// Sent page shows the upload's bytes, rate and time left; she cancels the
// message from the Sent page with the keyboard alone. The Sent page then
// says it was cancelled, in French, English and Portuguese, the node
// stops the upload, and the hub deletes what it had of the file.
func TestBrowserSentCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	browser := newBrowser(t)
	var link *links.Link
	var lerr error
	tn := startNetOptions(t, ctx, localnet.Options{HubAddr: func(a, hub string) string {
		if a != dakar {
			return hub
		}
		if link == nil {
			link, lerr = links.NewLink(hub)
		}
		if lerr != nil {
			return hub
		}
		return link.Addr()
	}})
	if lerr != nil || link == nil {
		t.Fatalf("link: %v", lerr)
	}
	t.Cleanup(link.Close)
	if err := link.Shape(0, 0, 256); err != nil {
		t.Fatal(err)
	}
	a := tn.net.Node(dakar)
	base := tn.urls[dakar]
	data := make([]byte, 8<<20)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "écoutes.wav")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	fr := tab(t, browser, "fr-FR,fr;q=0.9")
	signInBrowser(t, fr, base, "aminata")
	do(t, fr, chromedp.Navigate(base+"compose?kind=expedited-preservation"), chromedp.WaitVisible("#f-facts"),
		chromedp.Click("#to-"+accra),
		chromedp.SendKeys("#f-case", "sn-2026-0101"),
		chromedp.SetValue("#f-urgency", "urgent"),
		chromedp.SendKeys("#f-legal_basis-0-instrument", "Convention de Budapest sur la cybercriminalité"),
		chromedp.SendKeys("#f-legal_basis-0-article", "art. 29"),
		chromedp.SendKeys("#f-facts", "Escroquerie en ligne; les écoutes jointes identifient le titulaire du compte."),
		chromedp.SendKeys("#f-offences", "Escroquerie (article 379 du Code pénal)."),
		chromedp.SendKeys("#f-data_link", "Le compte a reçu les fonds des victimes."),
		chromedp.SendKeys("#f-necessity", "Le fournisseur efface les données après 30 jours."),
		chromedp.SendKeys("#f-data_to_preserve", "Contenu et données de trafic du compte fraud.desk@example.com.gh."),
		chromedp.SendKeys("#f-custodian", "Le fournisseur de messagerie qui héberge le compte, à Accra."),
		chromedp.SendKeys("#f-followup", "Une demande d'entraide judiciaire suivra sous 60 jours."),
		chromedp.Click("#f-languages-0"),
		chromedp.SetUploadFiles("#attach", []string{path}),
		chromedp.Click("#send"), chromedp.WaitVisible("ul.copies"))
	items, err := a.Outbox(ctx, agency.OutboxQuery{})
	if err != nil || len(items) != 1 || len(items[0].Attachments) != 1 || items[0].Attachments[0].Name != "écoutes.wav" || items[0].Attachments[0].Size != int64(len(data)) {
		t.Fatalf("the outbox after sending from the browser: %v %+v", err, items)
	}
	id := items[0].ID

	// The upload under way: its progress on the Sent page, in French.
	progress := "#progress-" + id
	poll(t, "the upload's rate and time left on the Sent page", 2*time.Minute, func() bool {
		do(t, fr, chromedp.Navigate(base+"sent"), chromedp.WaitVisible("ul.copies"))
		p := eval[string](t, fr, fmt.Sprintf(`(e => e ? e.textContent : "")(document.querySelector(%q))`, progress))
		if p == "" {
			as, _ := a.Attachments(id)
			t.Fatalf("the Sent page shows no upload for the held message (attachments %+v)", as)
		}
		return strings.Contains(p, "/s, encore ")
	})
	p := eval[string](t, fr, fmt.Sprintf(`document.querySelector(%q).textContent`, progress))
	if !strings.HasPrefix(p, "en transfert : ") || !strings.Contains(p, " sur 8.0 MiB à ") {
		t.Fatalf("the upload's progress reads %q", p)
	}
	if as, _ := a.Attachments(id); len(as) != 1 || as[0].State == "done" {
		t.Fatalf("the file went up before it could be cancelled: %+v", as)
	}
	shot(t, fr, "sent-upload-fr")
	measure(t, fr, "sent")
	checkAccessible(t, fr, "sent with an upload")

	// Cancelled with the keyboard alone.
	tabTo(t, fr, "cancel-"+id)
	do(t, fr, chromedp.KeyEvent("\r"), chromedp.WaitVisible("#cancel"))
	if h := eval[string](t, fr, `document.querySelector('main h2, main h1') ? document.querySelector('main h2, main h1').textContent : document.title`); !strings.Contains(h, "Annuler ce message") {
		t.Errorf("the confirmation page's title reads %q", h)
	}
	shot(t, fr, "sent-cancel-fr")
	checkAccessible(t, fr, "cancel")
	tabTo(t, fr, "cancel")
	do(t, fr, chromedp.KeyEvent("\r"))
	poll(t, "the Sent page after the cancel", time.Minute, func() bool {
		return eval[int](t, fr, `document.querySelectorAll('li[data-state="cancelled"]').length`) == 1
	})
	if s := copyOf(t, a, id, accra); s != agency.CopyCancelled {
		t.Fatalf("the copy is %s after the cancel", s)
	}
	poll(t, "the hub to delete the file", time.Minute, func() bool {
		as, _ := a.Attachments(id)
		return len(as) == 1 && as[0].State == "cancelled" && as[0].Deleted != nil
	})

	// The state as each language shows it.
	want := map[string][2]string{
		"fr": {"Annulé", "Annulé avant l'envoi : il n'est jamais parti."},
		"en": {"Cancelled", "Cancelled before it was sent: it never left."},
		"pt": {"Cancelado", "Cancelada antes do envio: nunca partiu."},
	}
	// Two colleagues read the Sent page in their own languages (a
	// person's language is kept with their account).
	tabs := map[string]context.Context{"fr": fr}
	for lang, who := range map[string]string{"en": "grace", "pt": "joao"} {
		if _, err := a.AddAccount(ctx, testActor, agency.NewAccount{Name: who, Role: agency.RoleProsecutor, Password: password}); err != nil {
			t.Fatal(err)
		}
		tabs[lang] = tab(t, browser, map[string]string{"en": "en-GB,en;q=0.9", "pt": "pt-PT,pt;q=0.9"}[lang])
		signInBrowser(t, tabs[lang], base, who)
	}
	for _, lang := range []string{"fr", "en", "pt"} {
		c := tabs[lang]
		do(t, c, chromedp.Navigate(base+"sent"), chromedp.WaitVisible("ul.copies"))
		if l := htmlLang(t, c); l != lang {
			t.Fatalf("the console speaks %q, want %s", l, lang)
		}
		state := eval[string](t, c, `document.querySelector('li[data-state="cancelled"] .tag').textContent`)
		copyText := eval[string](t, c, `document.querySelector('li[data-state="cancelled"]').textContent`)
		if state != want[lang][0] || !strings.Contains(copyText, want[lang][1]) {
			t.Errorf("in %s the cancelled copy reads %q (state %q), want %q and %q", lang, copyText, state, want[lang][0], want[lang][1])
		}
		if n := eval[int](t, c, fmt.Sprintf(`document.querySelectorAll('#cancel-%s, #progress-%s').length`, id, id)); n != 0 {
			t.Errorf("in %s the Sent page still offers to cancel the message or shows its upload", lang)
		}
		shot(t, c, "sent-cancelled-"+lang)
	}
}
