package auditor

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
)

// cookieSuffix tells the auditor's console's cookies from an agency's
// console's on the same machine.
const cookieSuffix = "audit"

// call is what a request with a session carries to its handler.
type call struct {
	sess *gate.Session
	p    *locale.Printer
}

func (s *Server) cookies() gate.Cookies { return gate.Cookies{Suffix: cookieSuffix} }

// hostOnly refuses a request whose Host header is not this console's
// address: a page of another site that made its name resolve to 127.0.0.1
// (DNS rebinding) sends its own name. The host must be an IP address or
// localhost, with the port listened on.
func (s *Server) hostOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostOK(r.Host) {
			s.log.Warn("audit console: request for another host refused", "host", r.Host, "addr", r.RemoteAddr)
			http.Error(w, "this console answers only at the address it printed", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) hostOK(host string) bool {
	bound := s.site.Bound()
	if bound == nil {
		return false
	}
	_, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return false
	}
	name, p, err := net.SplitHostPort(host)
	if err != nil || p != port {
		return false
	}
	if name == "localhost" {
		return true
	}
	_, err = netip.ParseAddr(name)
	return err == nil
}

// start exchanges a one-time token from the address the console printed
// for a session cookie, then shows the logs.
func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	t := r.URL.Query().Get("token")
	s.mu.Lock()
	ok := false
	for k := range s.tokens {
		if gate.Equal(k, t) {
			ok = true
			delete(s.tokens, k)
			break
		}
	}
	s.mu.Unlock()
	if !ok {
		s.log.Warn("audit console: start with an unknown or used token", "addr", r.RemoteAddr)
		s.render(w, r, nil, http.StatusForbidden, "denied", "auditor.denied.title", "", nil)
		return
	}
	ck := s.cookies()
	if old, err := r.Cookie(ck.Session()); err == nil {
		s.sessions.End(old.Value)
	}
	id, _ := s.sessions.Create("auditor")
	ck.Set(w, ck.Session(), id, 0)
	s.log.Info("audit console: session opened", "addr", r.RemoteAddr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// auth lets only requests with a session through, and checks the CSRF
// token of every POST.
func (s *Server) auth(h func(w http.ResponseWriter, r *http.Request, c *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sess := s.sessions.FromRequest(r, s.cookies())
		if sess == nil {
			s.render(w, r, nil, http.StatusUnauthorized, "denied", "auditor.denied.title", "", nil)
			return
		}
		c := &call{sess: sess, p: s.cat.Printer(s.language(r))}
		if r.Method == http.MethodPost {
			switch err := gate.CheckPost(w, r, sess, maxForm); err {
			case gate.ErrForm:
				s.fail(w, r, c, http.StatusRequestEntityTooLarge, "auditor.error.form")
				return
			case gate.ErrCSRF:
				s.fail(w, r, c, http.StatusForbidden, "auditor.error.csrf")
				return
			}
		}
		h(w, r, c)
	})
}

// maxForm bounds a posted form: a checkpoint, a member card (a
// post-quantum recipient is about 2,000 characters) and a few fields.
const maxForm = 32 << 10

// language returns the language the auditor picked, else the browser's.
func (s *Server) language(r *http.Request) string { return s.cookies().Language(r, s.cat) }

// setLanguage keeps the language picked in this browser.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request, c *call) {
	if !s.cookies().KeepLanguage(w, r) {
		s.fail(w, r, c, http.StatusBadRequest, "auditor.error.lang")
		return
	}
	gate.Back(w, r, "/")
}
