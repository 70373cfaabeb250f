package console

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/locale"
)

// signinData is the sign-in page's data.
type signinData struct {
	Token string
	Name  string
	Error string
}

// signinPage shows the sign-in form, with a fresh token in a cookie and
// the form (double submit), so that no other site can sign a browser in.
func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(s.cookieName()); err == nil && s.sessions.get(ck.Value) != nil {
		http.Redirect(w, r, "/inbox", http.StatusSeeOther)
		return
	}
	s.signinForm(w, r, http.StatusOK, "", "")
}

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	t := token()
	s.setCookie(w, signinCookie+s.n.Agency(), t, 600)
	s.render(w, r, nil, status, "signin", "signin.title", "", &signinData{Token: t, Name: name, Error: msg})
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p := s.cat.Printer(s.cat.Match(r.Header.Get("Accept-Language")))
	ck, err := r.Cookie(signinCookie + s.n.Agency())
	if err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		s.signinForm(w, r, http.StatusForbidden, "", p.T("signin.expired"))
		return
	}
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	keys := []string{"account:" + name, "addr:" + host}
	if s.limiter.blocked(keys...) {
		s.log.Warn("console sign-in refused: too many failures", "account", name, "addr", host)
		s.signinForm(w, r, http.StatusTooManyRequests, name, p.T("signin.limited"))
		return
	}
	acc, err := s.n.Authenticate(r.Context(), name, []byte(password))
	if err != nil {
		if !errors.Is(err, agency.ErrBadCredentials) {
			s.log.Error("console sign-in", "err", err)
		}
		s.limiter.fail(keys...)
		s.log.Warn("console sign-in failed", "account", name, "addr", host)
		s.signinForm(w, r, http.StatusUnauthorized, name, p.T("signin.failed"))
		return
	}
	s.limiter.reset(keys...)
	if acc.Language == "" {
		// The browser's language becomes the person's until they pick one.
		if err := s.n.SetAccountLanguage(r.Context(), acc.Name, p.Lang()); err != nil {
			s.log.Warn("keep the account's language", "err", err)
		}
	}
	if old, err := r.Cookie(s.cookieName()); err == nil {
		s.sessions.end(old.Value)
	}
	id, _ := s.sessions.create(acc.Name)
	s.setCookie(w, s.cookieName(), id, 0)
	s.setCookie(w, signinCookie+s.n.Agency(), "", -1)
	s.log.Info("console sign-in", "account", acc.Name, "addr", host)
	http.Redirect(w, r, "/inbox", http.StatusSeeOther)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, c *call) {
	s.sessions.end(c.sid)
	s.setCookie(w, s.cookieName(), "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// setLanguage keeps the language the person picked.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request, c *call) {
	lang := r.PostFormValue("lang")
	if !locale.Supported(lang) {
		s.fail(w, r, c, http.StatusBadRequest, "error.lang")
		return
	}
	if err := s.n.SetAccountLanguage(r.Context(), c.account.Name, lang); err != nil {
		s.failErr(w, r, c, err)
		return
	}
	back := r.PostFormValue("back")
	if !localPath(back) {
		back = "/inbox"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// localPath says whether p is a path of this site (never another host).
func localPath(p string) bool {
	return len(p) > 0 && p[0] == '/' && (len(p) == 1 || p[1] != '/' && p[1] != '\\')
}
