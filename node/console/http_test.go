package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/browsertest"
	"github.com/casenode/casenode/protocol"
)

// client is a browser without JavaScript: a cookie jar that does not
// follow redirects.
func client(t *testing.T) *http.Client { t.Helper(); return browsertest.Client(t) }

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	return browsertest.Get(t, c, u)
}

func post(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	return browsertest.Post(t, c, u, v)
}

func csrfOf(t *testing.T, body string) string { t.Helper(); return browsertest.CSRF(t, body) }

func signIn(t *testing.T, c *http.Client, base, name, pw string) *http.Response {
	t.Helper()
	return browsertest.SignIn(t, c, base, name, pw)
}

// TestSecurity checks what a person not signed in gets (a redirect and no
// body), the security headers, the CSRF check, the login rate limit, that
// a disabled account loses its session, and sign-out.
func TestSecurity(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	base := tn.urls[dakar]
	anon := client(t)
	for _, p := range []string{"", "inbox", "sent", "cases", "directory", "compose", "status", "messages/0196ed27-54e0-7a3c-8f2d-41b6e07c9e25"} {
		resp, body := get(t, anon, base+p)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" || strings.Contains(body, "<main") {
			t.Errorf("GET /%s not signed in: %d %q, body %.100q", p, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	resp, _ := post(t, anon, base+"compose", url.Values{"kind": {"reply"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /compose not signed in: %d", resp.StatusCode)
	}
	resp, _ = get(t, anon, base+"signin")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if rp := resp.Header.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("Referrer-Policy %q", rp)
	}

	// Sign-in without the form's token is refused.
	resp, _ = post(t, client(t), base+"signin", url.Values{"name": {"aminata"}, "password": {password}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without token: %d", resp.StatusCode)
	}

	c := client(t)
	if resp := signIn(t, c, base, "aminata", password); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/inbox" {
		t.Fatalf("sign-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	u, _ := url.Parse(base)
	var sc *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "casenode_session_"+dakar {
			sc = ck
		}
	}
	if sc == nil {
		t.Fatal("no session cookie")
	}
	resp, body := get(t, c, base+"inbox")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `lang="`) {
		t.Fatalf("inbox: %d %.200s", resp.StatusCode, body)
	}
	for _, h := range resp.Header.Values("Set-Cookie") {
		t.Logf("set-cookie %s", h)
	}
	// A POST without the session's CSRF token changes nothing.
	resp, _ = post(t, c, base+"settings/language", url.Values{"lang": {"pt"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without CSRF: %d", resp.StatusCode)
	}
	resp, _ = post(t, c, base+"settings/language", url.Values{"lang": {"pt"}, "csrf": {"forged"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a forged CSRF token: %d", resp.StatusCode)
	}
	resp, _ = post(t, c, base+"settings/language", url.Values{"lang": {"pt"}, "csrf": {csrfOf(t, body)}, "back": {"//evil.example/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/inbox" {
		t.Errorf("language change: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := get(t, c, base+"inbox"); !strings.Contains(body, `<html lang="pt">`) || !strings.Contains(body, "Caixa de entrada") {
		t.Errorf("after choosing Portuguese: %.300s", body)
	}

	// Five wrong passwords, then even the right one is refused.
	bad := client(t)
	for i := range 5 {
		if resp := signIn(t, bad, base, "aminata", "wrong password "+string(rune('a'+i))); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, resp.StatusCode)
		}
	}
	if resp := signIn(t, bad, base, "aminata", password); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after 5 failures: %d, want 429", resp.StatusCode)
	}

	// Disabling the account ends its session at the next request.
	if _, err := tn.net.Node(dakar).DisableAccount(ctx, testActor, "aminata"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, c, base+"inbox"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("disabled account still served: %d", resp.StatusCode)
	}

	// Sign-out ends the session.
	k := client(t)
	signIn(t, k, tn.urls[accra], "kwame", password)
	_, body = get(t, k, tn.urls[accra]+"inbox")
	if resp, _ := post(t, k, tn.urls[accra]+"signout", url.Values{"csrf": {csrfOf(t, body)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	if resp, _ := get(t, k, tn.urls[accra]+"inbox"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", resp.StatusCode)
	}
}

// TestPages renders every page with a lead and a request in the inbox, and
// checks that opening a message is recorded under the person's account.
func TestPages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	d := tn.net.Node(dakar)
	var ids []string
	for _, typ := range []protocol.MessageType{protocol.TypeLead, protocol.TypeRequest} {
		res, err := d.Send(ctx, testActor, agency.SendRequest{To: []string{accra}, Type: typ, Case: "sn-2026-0142", Body: protocol.Example(typ)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
	}
	a := tn.net.Node(accra)
	poll(t, "two messages at Accra", time.Minute, func() bool {
		ms, _ := a.Inbox(ctx, agency.InboxQuery{})
		return len(ms) == 2
	})
	c := client(t)
	base := tn.urls[accra]
	signIn(t, c, base, "kwame", password)
	for _, p := range []string{"inbox", "inbox?q=preservation&type=case.request", "cases", "cases/sn-2026-0142", "sent", "directory", "directory/own", "compose", "compose?kind=extradition", "status", "messages/" + ids[0]} {
		resp, body := get(t, c, base+p)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /%s: %d %.300s", p, resp.StatusCode, body)
		}
		if strings.Contains(body, "<no value>") || strings.Contains(body, "%!") {
			t.Errorf("GET /%s: template hole in %s", p, body)
		}
	}
	for q, want := range map[string]int{"inbox?type=case.lead": 1, "inbox?country=SN": 2, "inbox?country=GH": 0,
		"inbox?q=trafficking": 0, "inbox?q=preservation": 1, "inbox?case=sn-2026-0142": 2, "inbox?case=other": 0, "inbox?since=2999-01-01": 0} {
		_, body := get(t, c, base+q)
		if got := strings.Count(body, `<tr class="unread">`); got != want {
			t.Errorf("GET /%s lists %d messages, want %d", q, got, want)
		}
	}
	_, body := get(t, c, base+"inbox")
	resp, body := post(t, c, base+"messages/"+ids[0]+"/open", url.Values{"csrf": {csrfOf(t, body)}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("open the lead: %d %.300s", resp.StatusCode, body)
	}
	// The lead is H2: the banner says what the reader may not do, and the
	// evaluations are in words.
	for _, want := range []string{"H2 — ", "beyond your agency without the sender", "usually reliable", "Smuggling of migrants"} {
		if !strings.Contains(body, want) {
			t.Errorf("the opened lead does not say %q", want)
		}
	}
	m, err := a.Show(ctx, testActor, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.ReadBy != "console:kwame" {
		t.Errorf("read by %q, want console:kwame", m.ReadBy)
	}
}

// TestDrafts keeps a request being written as a draft, brings it back
// with its recipients and text, and discards it when the request is sent.
func TestDrafts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	base := tn.urls[dakar]
	c := client(t)
	signIn(t, c, base, "aminata", password)
	_, body := get(t, c, base+"compose?kind=expedited-preservation")
	form := url.Values{"csrf": {csrfOf(t, body)}, "kind": {"expedited-preservation"}, "to": {accra}, "case": {"sn-2026-0007"},
		"facts": {"Fraude en ligne."}, "save": {"1"}}
	resp, _ := post(t, c, base+"compose", form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/compose?draft=") {
		t.Fatalf("save draft: %d %q", resp.StatusCode, loc)
	}
	_, body = get(t, c, base+strings.TrimPrefix(loc, "/"))
	for _, want := range []string{"Fraude en ligne.", `value="sn-2026-0007"`, `id="to-` + accra + `" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("the draft does not show %q", want)
		}
	}
	u, _ := url.Parse(loc)
	draft := u.Query().Get("draft")
	ds, err := tn.net.Node(dakar).Drafts(ctx, "aminata")
	if err != nil || len(ds) != 1 || ds[0].ID != draft {
		t.Fatalf("drafts %v %+v", err, ds)
	}
	if other, _ := tn.net.Node(dakar).Drafts(ctx, "someone-else"); len(other) != 0 {
		t.Errorf("another account sees the draft")
	}
	form.Del("save")
	form.Set("draft", draft)
	// "Add an instrument" shows one more row, without JavaScript, and sends
	// nothing.
	form.Set("add_row", "legal_basis")
	form.Set("rows.legal_basis", "2")
	resp, body = post(t, c, base+"compose", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="f-legal_basis-2-instrument"`) || strings.Contains(body, `id="f-legal_basis-3-instrument"`) {
		t.Errorf("add a row: %d", resp.StatusCode)
	}
	form.Del("add_row")
	form.Del("rows.legal_basis")
	// Narrowing the recipients (here by country) lists those that match
	// and those already chosen, and sends nothing.
	narrow := url.Values{"csrf": form["csrf"], "kind": {"expedited-preservation"}, "narrow": {"sn"}, "narrow_go": {"1"}}
	resp, body = post(t, c, base+"compose", narrow)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `id="to-`+accra+`"`) || !strings.Contains(body, `class="choice"`) || !strings.Contains(body, `value="sn"`) {
		t.Errorf("narrow the recipients to SN: %d, Accra still listed or nobody listed", resp.StatusCode)
	}
	narrow.Set("to", accra)
	if resp, body = post(t, c, base+"compose", narrow); !strings.Contains(body, `id="to-`+accra+`" checked`) {
		t.Errorf("narrowing hides a recipient already chosen: %d", resp.StatusCode)
	}
	// A mistake is shown next to its field, and nothing is sent.
	resp, body = post(t, c, base+"compose", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-offences-error"`) {
		t.Fatalf("incomplete request: %d, no error next to the offences", resp.StatusCode)
	}
	for k, v := range map[string]string{"urgency": "urgent", "legal_basis.0.instrument": "Budapest Convention", "legal_basis.0.article": "29",
		"offences": "Escroquerie (art. 379 CP).", "data_link": "Le compte a reçu les fonds.", "necessity": "Les données seront effacées sous 30 jours.",
		"data_to_preserve": "Contenu et données de trafic du compte.", "custodian": "Fournisseur de messagerie à Accra.",
		"followup": "Une demande d'entraide suivra sous 60 jours.", "languages": "fr"} {
		form.Set(k, v)
	}
	if resp, body := post(t, c, base+"compose", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d %.3000s", resp.StatusCode, body)
	}
	if ds, _ := tn.net.Node(dakar).Drafts(ctx, "aminata"); len(ds) != 0 {
		t.Errorf("the draft outlives the message sent: %+v", ds)
	}
}

// TestInboxPages lists a long inbox a hundred messages at a time.
func TestInboxPages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	const n = 105
	for range n {
		if _, err := tn.net.Node(dakar).Send(ctx, testActor, agency.SendRequest{To: []string{accra}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)}); err != nil {
			t.Fatal(err)
		}
	}
	poll(t, "the leads at Accra", 2*time.Minute, func() bool {
		ms, _ := tn.net.Node(accra).Inbox(ctx, agency.InboxQuery{})
		return len(ms) == n
	})
	c := client(t)
	base := tn.urls[accra]
	signIn(t, c, base, "kwame", password)
	_, body := get(t, c, base+"inbox?type=case.lead")
	if got := strings.Count(body, `<tr class="unread">`); got != 100 || !strings.Contains(body, "105 messages") || !strings.Contains(body, `href="/inbox?page=2&amp;type=case.lead" rel="next"`) {
		t.Fatalf("first page: %d rows", got)
	}
	_, body = get(t, c, base+"inbox?page=2&type=case.lead")
	if got := strings.Count(body, `<tr class="unread">`); got != 5 || strings.Contains(body, `rel="next"`) || !strings.Contains(body, `rel="prev"`) {
		t.Errorf("second page: %d rows", got)
	}
	d := client(t)
	signIn(t, d, tn.urls[dakar], "aminata", password)
	for page, want := range map[string]int{"sent": 100, "sent?page=2": 5, "sent?page=3": 0} {
		_, body := get(t, d, tn.urls[dakar]+page)
		if got := strings.Count(body, `<ul class="copies">`); got != want {
			t.Errorf("/%s lists %d messages, want %d", page, got, want)
		}
	}
}
