package gate

import (
	"crypto/subtle"
	"errors"
	"net/http"
)

// Cookie names end with a suffix of the console's own (an agency id, the
// network's name), because browsers keep cookies by host, not by port:
// two consoles on one machine (the demo) must not overwrite each other's
// sessions. With TLS the session cookie takes the __Host- prefix, which
// browsers accept only when Secure, host-only and for path /.
const (
	sessionCookie    = "casenode_session_"
	sessionCookieTLS = "__Host-casenode_session_"
	signinCookie     = "casenode_signin_"
	// CSRFField is the form field that carries the CSRF token.
	CSRFField = "csrf"
	// MaxForm bounds a posted form.
	MaxForm = 1 << 20
)

// Cookies names and sets one console's cookies.
type Cookies struct {
	// Suffix tells this console's cookies from another's on the same host.
	Suffix string
	// TLS says whether the console is served over TLS.
	TLS bool
}

// Session returns the session cookie's name.
func (c Cookies) Session() string {
	if c.TLS {
		return sessionCookieTLS + c.Suffix
	}
	return sessionCookie + c.Suffix
}

// Signin returns the name of the cookie that carries the sign-in form's
// token (double submit, so that no other site can sign a browser in).
func (c Cookies) Signin() string { return signinCookie + c.Suffix }

// Set sets a cookie the consoles' way: HttpOnly, SameSite=Strict, Secure
// with TLS, for the whole site. maxAge 0 is a browser-session cookie, -1
// deletes it.
func (c Cookies) Set(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: c.TLS, SameSite: http.SameSiteStrictMode})
}

// SigninTokenOK says whether the sign-in form posted back the token of
// its cookie. The form must have been parsed.
func (c Cookies) SigninTokenOK(r *http.Request) bool {
	ck, err := r.Cookie(c.Signin())
	return err == nil && Equal(ck.Value, r.PostFormValue(CSRFField))
}

// CSRFOK says whether a parsed form posted back the session's CSRF token.
func CSRFOK(r *http.Request, s *Session) bool {
	return Equal(r.PostFormValue(CSRFField), s.CSRF)
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// LocalPath says whether p is a path of this site (never another host),
// for redirects to a page named by a form.
func LocalPath(p string) bool {
	return len(p) > 0 && p[0] == '/' && (len(p) == 1 || p[1] != '/' && p[1] != '\\')
}

// What CheckPost finds wrong with a posted form.
var (
	ErrForm = errors.New("the form is too large or malformed")
	ErrCSRF = errors.New("the form's CSRF token is not the session's")
)

// CheckPost parses a posted form of at most limit bytes and checks that
// it carries the session's CSRF token.
func CheckPost(w http.ResponseWriter, r *http.Request, s *Session, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		return ErrForm
	}
	if !CSRFOK(r, s) {
		return ErrCSRF
	}
	return nil
}
