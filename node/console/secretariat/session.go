package secretariat

import (
	"net/http"

	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/node/hub"
)

// call is what a signed-in request carries to its handler.
type call struct {
	sid   string
	sess  *gate.Session
	staff *hub.Staff
	p     *locale.Printer
}

// actor is the person as the hub's audit log records them.
func (c *call) actor() string { return ActorPrefix + c.staff.Name }

// cookies names and sets this console's cookies, whose names end with
// "hub-" and the network id.
func (s *Server) cookies() gate.Cookies {
	return gate.Cookies{Suffix: "hub-" + s.h.Config().Network, TLS: s.cfg.TLS()}
}

// auth lets only signed-in people with an enabled account through and
// checks the CSRF token of every POST.
func (s *Server) auth(h func(w http.ResponseWriter, r *http.Request, c *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid, sess := s.signin.Session(w, r)
		if sess == nil {
			return
		}
		st, err := s.h.StaffMember(sess.Account)
		if err != nil || st.Disabled != nil {
			s.sessions.End(sid)
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		c := &call{sid: sid, sess: sess, staff: st, p: s.cat.Printer(s.language(r))}
		if r.Method == http.MethodPost {
			switch err := gate.CheckPost(w, r, sess, gate.MaxForm); err {
			case gate.ErrForm:
				s.fail(w, r, c, http.StatusRequestEntityTooLarge, "sec.error.form")
				return
			case gate.ErrCSRF:
				s.fail(w, r, c, http.StatusForbidden, "sec.error.csrf")
				return
			}
		}
		h(w, r, c)
	})
}

// secretariatOnly refuses observers.
func (s *Server) secretariatOnly(h func(w http.ResponseWriter, r *http.Request, c *call)) func(w http.ResponseWriter, r *http.Request, c *call) {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		if c.staff.Role != hub.RoleSecretariat {
			s.fail(w, r, c, http.StatusForbidden, "sec.error.observer")
			return
		}
		h(w, r, c)
	}
}

// language is the language the person picked in this browser, else the
// browser's.
func (s *Server) language(r *http.Request) string { return s.cookies().Language(r, s.cat) }

// setLanguage keeps the language the person picked in this browser.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request, c *call) {
	if !s.cookies().KeepLanguage(w, r) {
		s.fail(w, r, c, http.StatusBadRequest, "sec.error.lang")
		return
	}
	gate.Back(w, r, "/members")
}
