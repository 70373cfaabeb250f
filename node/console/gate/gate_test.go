package gate

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// clock is a test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestSessionExpiry: a session ends after its idle time without a request,
// and after its maximum age even when used, and at sign-out.
func TestSessionExpiry(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)}
	ss := NewSessions(30*time.Minute, 2*time.Hour, c.now)
	id, s := ss.Create("aminata")
	if s.CSRF == "" || s.CSRF == id || s.Account != "aminata" {
		t.Fatalf("session %+v", s)
	}
	for i := range 4 {
		c.t = c.t.Add(25 * time.Minute)
		if ss.Get(id) == nil {
			t.Fatalf("session ended after %d requests 25 minutes apart", i+1)
		}
	}
	c.t = c.t.Add(25 * time.Minute) // 2h05 after sign-in, 25 minutes after the last request
	if ss.Get(id) != nil {
		t.Error("a session outlives its maximum age")
	}
	id, _ = ss.Create("aminata")
	c.t = c.t.Add(31 * time.Minute)
	if ss.Get(id) != nil {
		t.Error("a session outlives its idle time")
	}
	id, _ = ss.Create("aminata")
	ss.End(id)
	if ss.Get(id) != nil {
		t.Error("a session outlives sign-out")
	}
	if ss.Get("forged") != nil {
		t.Error("an unknown cookie value is a session")
	}
	a, _ := ss.Create("aminata")
	b, _ := ss.Create("kofi")
	ss.EndAccount("aminata")
	if ss.Get(a) != nil || ss.Get(b) == nil {
		t.Error("EndAccount ended the wrong sessions")
	}
}

// TestLimiter: five failures within the window block a key, others are
// not blocked, the window passes, and a success resets.
func TestLimiter(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)}
	l := NewLimiter(c.now)
	for range MaxFailures {
		if l.Blocked("account:a", "addr:1") {
			t.Fatal("blocked before the limit")
		}
		l.Fail("account:a", "addr:1")
	}
	if !l.Blocked("account:a") || !l.Blocked("addr:1") || !l.Blocked("account:b", "addr:1") {
		t.Error("not blocked at the limit")
	}
	if l.Blocked("account:b", "addr:2") {
		t.Error("another account from another address is blocked")
	}
	c.t = c.t.Add(FailureWindow)
	if l.Blocked("account:a", "addr:1") {
		t.Error("still blocked after the window")
	}
	l.Fail("account:a")
	l.Reset("account:a")
	if f := l.m["account:a"]; f != nil {
		t.Errorf("reset kept %+v", f)
	}
}

func TestLocalPath(t *testing.T) {
	for p, want := range map[string]bool{"/inbox": true, "/": true, "/cases/x?y=1": true, "//evil.example/": false, "/\\evil": false, "https://evil.example/": false, "": false, "inbox": false} {
		if got := LocalPath(p); got != want {
			t.Errorf("LocalPath(%q) = %v", p, got)
		}
	}
}

// TestCookies: names per suffix and TLS, the cookie's attributes, and the
// double-submit check of the sign-in form.
func TestCookies(t *testing.T) {
	plain, tls := Cookies{Suffix: "gh-ag-accra"}, Cookies{Suffix: "gh-ag-accra", TLS: true}
	if plain.Session() != "casenode_session_gh-ag-accra" || tls.Session() != "__Host-casenode_session_gh-ag-accra" {
		t.Errorf("session cookie names %q %q", plain.Session(), tls.Session())
	}
	w := httptest.NewRecorder()
	tls.Set(w, tls.Session(), "v", 0)
	ck := w.Result().Cookies()[0]
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
		t.Errorf("cookie %+v", ck)
	}
	post := func(form, cookie string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(url.Values{CSRFField: {form}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: plain.Signin(), Value: cookie})
		}
		r.ParseForm()
		return r
	}
	if !plain.SigninTokenOK(post("tok", "tok")) {
		t.Error("the matching token is refused")
	}
	if plain.SigninTokenOK(post("tok", "other")) || plain.SigninTokenOK(post("tok", "")) || plain.SigninTokenOK(post("", "")) {
		t.Error("a missing or different token is accepted")
	}
	if !CSRFOK(post("c", ""), &Session{CSRF: "c"}) || CSRFOK(post("d", ""), &Session{CSRF: "c"}) {
		t.Error("CSRFOK")
	}
}

// TestHeaders: every response carries the security headers; HSTS only
// with TLS.
func TestHeaders(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, tls := range []bool{false, true} {
		w := httptest.NewRecorder()
		Headers(ok, tls).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		h := w.Result().Header
		if h.Get("Content-Security-Policy") != CSP || h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("tls=%v headers %v", tls, h)
		}
		if got := h.Get("Strict-Transport-Security") != ""; got != tls {
			t.Errorf("tls=%v: HSTS set %v", tls, got)
		}
	}
}
