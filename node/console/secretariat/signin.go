package secretariat

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/web"
	"github.com/casenode/casenode/node/hub"
)

// signIn is the console's sign-in (package gate): against the hub's
// console accounts, in the language picked in this browser.
func (s *Server) signIn() *gate.SignIn {
	return &gate.SignIn{Cookies: s.cookies(), Sessions: s.sessions, Limiter: s.limiter, Log: s.log, Home: "/members",
		Render: func(w http.ResponseWriter, r *http.Request, status int, f gate.SigninForm) {
			msg := ""
			if f.Problem != "" {
				msg = s.cat.Printer(s.language(r)).T("sec.signin." + f.Problem)
			}
			s.render(w, r, nil, status, "signin", "sec.signin.title", "", &web.Signin{Token: f.Token, Name: f.Name, Error: msg, Help: "sec.signin.help"})
		},
		Authenticate: func(r *http.Request, name string, password []byte) (string, []any, error) {
			st, err := s.h.AuthenticateStaff(name, password)
			if errors.Is(err, hub.ErrBadStaffCredentials) {
				return "", nil, fmt.Errorf("%w: %w", gate.ErrBadCredentials, err)
			}
			if err != nil {
				return "", nil, err
			}
			return st.Name, []any{"role", st.Role}, nil
		},
	}
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, c *call) {
	s.signin.Out(w, r, c.sid)
}
