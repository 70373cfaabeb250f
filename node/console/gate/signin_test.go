package gate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// signinHarness is a SignIn whose page records what it was asked to show,
// against one account "aminata" with password "right".
type signinHarness struct {
	g     *SignIn
	shown []SigninForm
	boom  error
}

func newSigninHarness() *signinHarness {
	c := &clock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)}
	h := &signinHarness{}
	h.g = &SignIn{Cookies: Cookies{Suffix: "gh-ag"}, Sessions: NewSessions(time.Hour, 8*time.Hour, c.now), Limiter: NewLimiter(c.now),
		Log: slog.New(slog.DiscardHandler), Home: "/inbox",
		Render: func(w http.ResponseWriter, r *http.Request, status int, f SigninForm) {
			h.shown = append(h.shown, f)
			w.WriteHeader(status)
		},
		Authenticate: func(r *http.Request, name string, password []byte) (string, []any, error) {
			if h.boom != nil {
				return "", nil, h.boom
			}
			if name != "aminata" || string(password) != "right" {
				return "", nil, fmt.Errorf("%w: no", ErrBadCredentials)
			}
			return name, []any{"role", "clerk"}, nil
		},
	}
	return h
}

// post submits the sign-in form with the token of the form last shown,
// from addr, with the cookies given.
func (h *signinHarness) post(name, password, token, addr string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	form := url.Values{"name": {name}, "password": {password}, CSRFField: {token}}
	r := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = addr + ":4000"
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.g.Post(w, r)
	return w
}

func cookieOf(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestSignIn: the form's token must come back in its cookie; a right
// password signs in (a new session, the form's cookie removed, the old
// session of the browser ended) and goes home; wrong ones are refused and
// counted per account and address until the limit; an error that is not
// a refusal is refused too; sign-out ends the session.
func TestSignIn(t *testing.T) {
	h := newSigninHarness()
	w := httptest.NewRecorder()
	h.g.Page(w, httptest.NewRequest(http.MethodGet, "/signin", nil))
	if w.Code != http.StatusOK || len(h.shown) != 1 || h.shown[0].Problem != "" || h.shown[0].Token == "" {
		t.Fatalf("sign-in page: %d %+v", w.Code, h.shown)
	}
	token := h.shown[0].Token
	formCookie := cookieOf(w, h.g.Cookies.Signin())
	if formCookie == nil || formCookie.Value != token || formCookie.MaxAge != 600 {
		t.Fatalf("form cookie %+v", formCookie)
	}

	if w := h.post("aminata", "right", "other", "192.0.2.1", formCookie); w.Code != http.StatusForbidden || h.shown[1].Problem != SigninExpired {
		t.Errorf("a token other than the cookie's: %d %+v", w.Code, h.shown[1])
	}
	if w := h.post("aminata", "right", token, "192.0.2.1"); w.Code != http.StatusForbidden {
		t.Errorf("no form cookie: %d", w.Code)
	}

	old, _ := h.g.Sessions.Create("aminata")
	w = h.post("aminata", "right", token, "192.0.2.1", formCookie, &http.Cookie{Name: h.g.Cookies.Session(), Value: old})
	sess := cookieOf(w, h.g.Cookies.Session())
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox" || sess == nil || h.g.Sessions.Get(sess.Value) == nil {
		t.Fatalf("sign-in: %d %q, session cookie %+v", w.Code, w.Header().Get("Location"), sess)
	}
	if c := cookieOf(w, h.g.Cookies.Signin()); c == nil || c.MaxAge >= 0 {
		t.Errorf("the form cookie is kept after sign-in: %+v", c)
	}
	if h.g.Sessions.Get(old) != nil {
		t.Error("the browser's earlier session outlives a new sign-in")
	}
	w = httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/signin", nil)
	r.AddCookie(sess)
	h.g.Page(w, r)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox" {
		t.Errorf("sign-in page when signed in: %d %q", w.Code, w.Header().Get("Location"))
	}

	for i := range MaxFailures {
		if w := h.post("aminata", "wrong", token, fmt.Sprintf("192.0.2.%d", 10+i), formCookie); w.Code != http.StatusUnauthorized || h.shown[len(h.shown)-1].Problem != SigninFailed {
			t.Fatalf("failure %d: %d %+v", i+1, w.Code, h.shown[len(h.shown)-1])
		}
	}
	if w := h.post("aminata", "right", token, "192.0.2.99", formCookie); w.Code != http.StatusTooManyRequests || h.shown[len(h.shown)-1].Problem != SigninLimited || h.shown[len(h.shown)-1].Name != "aminata" {
		t.Errorf("after %d failures of the account: %d %+v", MaxFailures, w.Code, h.shown[len(h.shown)-1])
	}

	h.boom = errors.New("the store is closed")
	if w := h.post("kofi", "right", token, "192.0.2.50", formCookie); w.Code != http.StatusUnauthorized {
		t.Errorf("an authentication error: %d", w.Code)
	}
	h.boom = nil

	w = httptest.NewRecorder()
	h.g.Out(w, httptest.NewRequest(http.MethodPost, "/signout", nil), sess.Value)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signin" || h.g.Sessions.Get(sess.Value) != nil {
		t.Errorf("sign-out: %d %q", w.Code, w.Header().Get("Location"))
	}
	if c := cookieOf(w, h.g.Cookies.Session()); c == nil || c.MaxAge >= 0 {
		t.Errorf("sign-out leaves the session cookie: %+v", c)
	}
}

// TestCheckPost: a form is taken only with the session's token and within
// its size.
func TestCheckPost(t *testing.T) {
	ss := NewSessions(time.Hour, time.Hour, time.Now)
	_, s := ss.Create("aminata")
	post := func(body string, limit int64) error {
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return CheckPost(httptest.NewRecorder(), r, s, limit)
	}
	if err := post(CSRFField+"="+s.CSRF+"&a=b", 1<<10); err != nil {
		t.Errorf("a good form: %v", err)
	}
	if err := post(CSRFField+"=forged", 1<<10); err != ErrCSRF {
		t.Errorf("a forged token: %v", err)
	}
	if err := post(CSRFField+"="+s.CSRF+"&a="+strings.Repeat("b", 2<<10), 1<<10); err != ErrForm {
		t.Errorf("a form over the limit: %v", err)
	}
}

// TestSiteServes: a site listens, says its URL, serves until its context
// ends, and names itself in its errors.
func TestSiteServes(t *testing.T) {
	s := &Site{Name: "test console", Addr: "127.0.0.1:0"}
	if s.Bound() != nil {
		t.Fatal("bound before Listen")
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }), slog.New(slog.DiscardHandler))
	}()
	// The listener is open: the request waits for Serve to take it.
	resp, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("served %q at %s", body, s.URL())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	busy := &Site{Name: "test console"}
	taken := &Site{Name: "other", Addr: "127.0.0.1:0"}
	if err := taken.Listen(); err != nil {
		t.Fatal(err)
	}
	busy.Addr = taken.Bound().String()
	if err := busy.Listen(); err == nil || !strings.HasPrefix(err.Error(), "test console: listen on ") {
		t.Errorf("listen on a busy port: %v", err)
	}
}

// TestSessionOfRequest: a request without a live session is sent to sign
// in (a page) or refused (anything else).
func TestSessionOfRequest(t *testing.T) {
	h := newSigninHarness()
	for method, want := range map[string]int{http.MethodGet: http.StatusSeeOther, http.MethodPost: http.StatusUnauthorized} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(method, "/inbox", nil)
		r.AddCookie(&http.Cookie{Name: h.g.Cookies.Session(), Value: "forged"})
		if sid, s := h.g.Session(w, r); s != nil || sid != "" || w.Code != want {
			t.Errorf("%s without a session: %v, %d; want %d", method, s, w.Code, want)
		}
	}
	id, _ := h.g.Sessions.Create("aminata")
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/inbox", nil)
	r.AddCookie(&http.Cookie{Name: h.g.Cookies.Session(), Value: id})
	if sid, s := h.g.Session(w, r); s == nil || s.Account != "aminata" || sid != id || w.Code != http.StatusOK {
		t.Errorf("with a session: %v %q, %d", s, sid, w.Code)
	}
}
