package gate

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
)

// ErrBadCredentials is what a SignIn's Authenticate returns (or wraps) for
// an unknown account, a wrong password or a disabled account: a failure
// the rate limit counts, not an error to log.
var ErrBadCredentials = errors.New("bad credentials")

// The problems a sign-in form reports, for the console to say in its own
// words.
const (
	SigninExpired = "expired" // the form's token is missing or stale
	SigninLimited = "limited" // too many failures for the account or address
	SigninFailed  = "failed"  // bad credentials
)

// SigninForm is what a console's sign-in page shows.
type SigninForm struct {
	// Token is the double-submit token, in the form's CSRFField.
	Token string
	// Name is the account name typed, to show again.
	Name string
	// Problem is "" or one of SigninExpired, SigninLimited, SigninFailed.
	Problem string
}

// SignIn is a console's password sign-in: the form with a double-submit
// token (so that no other site can sign a browser in), the rate limit per
// account and per address, a new session (the old one of this browser
// ended) and sign-out.
type SignIn struct {
	Cookies  Cookies
	Sessions *Sessions
	Limiter  *Limiter
	Log      *slog.Logger
	// Home is where a signed-in person goes.
	Home string
	// Render writes the sign-in page with status.
	Render func(w http.ResponseWriter, r *http.Request, status int, f SigninForm)
	// Authenticate checks a name and password and returns the account to
	// sign in and what to log with its sign-in; an error wrapping
	// ErrBadCredentials for a refusal.
	Authenticate func(r *http.Request, name string, password []byte) (account string, logAttrs []any, err error)
}

// maxSigninForm bounds the posted sign-in form.
const maxSigninForm = 4 << 10

// Page answers GET /signin: the form, or Home for a signed-in browser.
func (g *SignIn) Page(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(g.Cookies.Session()); err == nil && g.Sessions.Get(ck.Value) != nil {
		http.Redirect(w, r, g.Home, http.StatusSeeOther)
		return
	}
	g.form(w, r, http.StatusOK, "", "")
}

// form renders the form with a fresh token in its cookie.
func (g *SignIn) form(w http.ResponseWriter, r *http.Request, status int, name, problem string) {
	t := Token()
	g.Cookies.Set(w, g.Cookies.Signin(), t, 600)
	g.Render(w, r, status, SigninForm{Token: t, Name: name, Problem: problem})
}

// Post answers POST /signin.
func (g *SignIn) Post(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSigninForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !g.Cookies.SigninTokenOK(r) {
		g.form(w, r, http.StatusForbidden, "", SigninExpired)
		return
	}
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	keys := []string{"account:" + name, "addr:" + host}
	if g.Limiter.Blocked(keys...) {
		g.Log.Warn("console sign-in refused: too many failures", "account", name, "addr", host)
		g.form(w, r, http.StatusTooManyRequests, name, SigninLimited)
		return
	}
	account, attrs, err := g.Authenticate(r, name, []byte(password))
	if err != nil {
		if !errors.Is(err, ErrBadCredentials) {
			g.Log.Error("console sign-in", "err", err)
		}
		g.Limiter.Fail(keys...)
		g.Log.Warn("console sign-in failed", "account", name, "addr", host)
		g.form(w, r, http.StatusUnauthorized, name, SigninFailed)
		return
	}
	g.Limiter.Reset(keys...)
	if old, err := r.Cookie(g.Cookies.Session()); err == nil {
		g.Sessions.End(old.Value)
	}
	id, _ := g.Sessions.Create(account)
	g.Cookies.Set(w, g.Cookies.Session(), id, 0)
	g.Cookies.Set(w, g.Cookies.Signin(), "", -1)
	g.Log.Info("console sign-in", append(append([]any{"account", account}, attrs...), "addr", host)...)
	http.Redirect(w, r, g.Home, http.StatusSeeOther)
}

// Out ends the session sid and sends the browser to sign in.
func (g *SignIn) Out(w http.ResponseWriter, r *http.Request, sid string) {
	g.Sessions.End(sid)
	g.Cookies.Set(w, g.Cookies.Session(), "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// Session returns the request's signed-in session with its cookie value.
// Without one it answers the request itself — a page is sent to sign in,
// anything else refused — and returns nil.
func (g *SignIn) Session(w http.ResponseWriter, r *http.Request) (string, *Session) {
	sid, sess := g.Sessions.FromRequest(r, g.Cookies)
	if sess == nil {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
		} else {
			http.Error(w, "sign in first", http.StatusUnauthorized)
		}
		return "", nil
	}
	return sid, sess
}
