package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/node/console/web"
)

// signIn is the console's sign-in (package gate): against the node's
// console accounts, in the browser's language.
func (s *Server) signIn() *gate.SignIn {
	return &gate.SignIn{Cookies: s.cookies(), Sessions: s.sessions, Limiter: s.limiter, Log: s.log, Home: "/inbox",
		Render: func(w http.ResponseWriter, r *http.Request, status int, f gate.SigninForm) {
			msg := ""
			if f.Problem != "" {
				msg = s.cat.Printer(s.cat.Pick(r, "")).T("signin." + f.Problem)
			}
			s.render(w, r, nil, status, "signin", "signin.title", "", &web.Signin{Token: f.Token, Name: f.Name, Error: msg, Help: "signin.help"})
		},
		Authenticate: func(r *http.Request, name string, password []byte) (string, []any, error) {
			acc, err := s.n.Authenticate(r.Context(), name, password)
			if errors.Is(err, agency.ErrBadCredentials) {
				return "", nil, fmt.Errorf("%w: %w", gate.ErrBadCredentials, err)
			}
			if err != nil {
				return "", nil, err
			}
			if acc.Language == "" {
				// The browser's language becomes the person's until they
				// pick one.
				lang := s.cat.Pick(r, "")
				if err := s.n.SetAccountLanguage(r.Context(), acc.Name, lang); err != nil {
					s.log.Warn("keep the account's language", "err", err)
				}
			}
			return acc.Name, nil, nil
		},
	}
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, c *call) {
	s.signin.Out(w, r, c.sid)
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
	gate.Back(w, r, "/inbox")
}
