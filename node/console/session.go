package console

import (
	"errors"
	"mime"
	"net/http"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
)

// call is what a signed-in request carries to its handler.
type call struct {
	sid     string
	sess    *gate.Session
	account *agency.Account
	p       *locale.Printer
	// files are those posted with a message, in the node's directory
	// until the request ends (attachment.go).
	files []agency.AttachFile
}

// actor is the person, as the audit log records them.
func (c *call) actor() agency.Actor {
	return agency.Actor{Via: agency.ViaConsole, Name: ActorPrefix + c.account.Name}
}

// cookies names and sets this console's cookies, whose names end with
// the agency id.
func (s *Server) cookies() gate.Cookies {
	return gate.Cookies{Suffix: s.n.Agency(), TLS: s.cfg.TLS()}
}

// auth lets only signed-in people with an enabled account through, and
// checks the CSRF token of every POST. Anyone else is sent to sign in and
// gets no body.
func (s *Server) auth(h func(w http.ResponseWriter, r *http.Request, c *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid, sess := s.signin.Session(w, r)
		if sess == nil {
			return
		}
		acc, err := s.n.Account(r.Context(), sess.Account)
		if err != nil || acc.Disabled != nil {
			s.sessions.End(sid)
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		c := &call{sid: sid, sess: sess, account: acc, p: s.cat.Printer(s.language(r, acc))}
		if r.Method == http.MethodPost {
			var err error
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" && r.URL.Path == "/compose" {
				// A message with files: each file goes straight into
				// the node's directory, none into the system's
				// temporary directory (attachment.go).
				r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
				var cleanup func()
				c.files, cleanup, err = s.readUpload(r, sess)
				defer cleanup()
			} else {
				r.Body = http.MaxBytesReader(w, r.Body, gate.MaxForm)
				err = r.ParseForm()
			}
			if errors.Is(err, errUploadCSRF) || err == nil && !gate.CSRFOK(r, sess) {
				s.fail(w, r, c, http.StatusForbidden, "error.csrf")
				return
			}
			if err != nil {
				s.fail(w, r, c, http.StatusRequestEntityTooLarge, "error.form")
				return
			}
		}
		h(w, r, c)
	})
}

// maxUpload bounds a message with files posted to the console: the
// protocol's largest number of attachments at a network's default size
// limit; the hub's own limit applies before anything is uploaded.
const maxUpload = 16 << 30

// language returns the person's language, else the browser's.
func (s *Server) language(r *http.Request, acc *agency.Account) string {
	picked := ""
	if acc != nil {
		picked = acc.Language
	}
	return s.cat.Pick(r, picked)
}
