package secretariat

import (
	"errors"
	"net"
	"net/http"

	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/hub"
)

// signinData is the sign-in page's data.
type signinData struct {
	Token string
	Name  string
	Error string
}

// signinPage shows the sign-in form with a fresh token in a cookie and
// the form (double submit).
func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(s.cookies().Session()); err == nil && s.sessions.Get(ck.Value) != nil {
		http.Redirect(w, r, "/members", http.StatusSeeOther)
		return
	}
	s.signinForm(w, r, http.StatusOK, "", "")
}

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	t := gate.Token()
	s.cookies().Set(w, s.cookies().Signin(), t, 600)
	s.render(w, r, nil, status, "signin", "sec.signin.title", "", &signinData{Token: t, Name: name, Error: msg})
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p := s.cat.Printer(s.language(r))
	if !s.cookies().SigninTokenOK(r) {
		s.signinForm(w, r, http.StatusForbidden, "", p.T("sec.signin.expired"))
		return
	}
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	keys := []string{"account:" + name, "addr:" + host}
	if s.limiter.Blocked(keys...) {
		s.log.Warn("console sign-in refused: too many failures", "account", name, "addr", host)
		s.signinForm(w, r, http.StatusTooManyRequests, name, p.T("sec.signin.limited"))
		return
	}
	st, err := s.h.AuthenticateStaff(name, []byte(password))
	if err != nil {
		if !errors.Is(err, hub.ErrBadStaffCredentials) {
			s.log.Error("console sign-in", "err", err)
		}
		s.limiter.Fail(keys...)
		s.log.Warn("console sign-in failed", "account", name, "addr", host)
		s.signinForm(w, r, http.StatusUnauthorized, name, p.T("sec.signin.failed"))
		return
	}
	s.limiter.Reset(keys...)
	ck := s.cookies()
	if old, err := r.Cookie(ck.Session()); err == nil {
		s.sessions.End(old.Value)
	}
	id, _ := s.sessions.Create(st.Name)
	ck.Set(w, ck.Session(), id, 0)
	ck.Set(w, ck.Signin(), "", -1)
	s.log.Info("console sign-in", "account", st.Name, "role", st.Role, "addr", host)
	http.Redirect(w, r, "/members", http.StatusSeeOther)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, c *call) {
	s.sessions.End(c.sid)
	s.cookies().Set(w, s.cookies().Session(), "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
