// Package console is the agency's web console: the pages where the
// agency's people sign in, read their inbox, open messages, follow cases,
// send requests and replies, and find the network's focal points, in
// English, French or Portuguese. It is a client of the node like the
// command line: every page calls the node's own operations (package
// agency), and every read, send and acknowledgement is recorded in the
// audit log under the signed-in person's account.
//
// Sessions, CSRF tokens and security headers are handled in middleware
// (package gate, session.go); the templates and assets are package web and
// the languages package locale.
package console

import (
	"context"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/node/console/web"
)

// ActorPrefix starts the audit log's actor of every action taken in the
// console: "console:" then the account name, so that the audit trail names
// the signed-in person, apart from the local users of the command line.
const ActorPrefix = "console:"

// Server serves the console of one node.
type Server struct {
	n        *agency.Node
	cfg      config.Console
	log      *slog.Logger
	now      func() time.Time
	cat      *locale.Catalog
	tmpl     *template.Template
	static   fs.FS
	sessions *gate.Sessions
	limiter  *gate.Limiter
	signin   *gate.SignIn
	site     gate.Site
	// networks are the agency's nodes in other networks (networks.go).
	networks *networks
}

// Options adjust a Server (package gate's, the same for every console).
type Options = gate.Options

// New returns the console of node n, configured by cfg.
func New(n *agency.Node, cfg config.Console, o Options) (*Server, error) {
	o = o.Defaults()
	cat, err := locale.Load()
	if err != nil {
		return nil, err
	}
	tmpl, err := web.Templates(funcStubs())
	if err != nil {
		return nil, err
	}
	s := &Server{n: n, cfg: cfg, log: o.Logger.With("component", "console"), now: o.Now, cat: cat, tmpl: tmpl, static: web.Static(),
		sessions: gate.NewSessions(cfg.Idle(), cfg.Max(), o.Now), limiter: gate.NewLimiter(o.Now), networks: newNetworks(cfg.Networks, o.Now),
		site: gate.Site{Name: "console", Addr: cfg.Listen, CertFile: cfg.TLSCertFile, KeyFile: cfg.TLSKeyFile}}
	s.signin = s.signIn()
	return s, nil
}

// Listen opens the console's address (cfg.Listen).
func (s *Server) Listen() error { return s.site.Listen() }

// URL returns the console's address once Listen has returned.
func (s *Server) URL() string { return s.site.URL() }

// Serve serves the console until ctx ends.
func (s *Server) Serve(ctx context.Context) error { return s.site.Serve(ctx, s.Handler(), s.log) }

// Handler returns the console's routes behind its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", gate.Static(s.static)))
	mux.HandleFunc("GET /signin", s.signin.Page)
	mux.HandleFunc("POST /signin", s.signin.Post)
	mux.Handle("POST /signout", s.auth(s.signout))
	mux.Handle("GET /{$}", s.auth(func(w http.ResponseWriter, r *http.Request, c *call) {
		http.Redirect(w, r, "/inbox", http.StatusSeeOther)
	}))
	mux.Handle("GET /inbox", s.auth(s.inbox))
	mux.Handle("GET /messages/{id}", s.auth(s.message))
	mux.Handle("POST /messages/{id}/open", s.auth(s.openMessage))
	mux.Handle("GET /messages/{id}/attachments/{name}", s.auth(s.attachment))
	mux.Handle("GET /cases", s.auth(s.cases))
	mux.Handle("GET /cases/{id}", s.auth(s.caseThread))
	mux.Handle("GET /sent", s.auth(s.sent))
	mux.Handle("GET /sent/{id}/cancel", s.auth(s.cancelPage))
	mux.Handle("POST /sent/{id}/cancel", s.auth(s.cancelSent))
	mux.Handle("GET /directory", s.auth(s.directory))
	mux.Handle("GET /directory/own", s.auth(s.ownCard))
	mux.Handle("POST /directory/own", s.auth(s.publishCard))
	mux.Handle("GET /compose", s.auth(s.composePage))
	mux.Handle("POST /compose", s.auth(s.compose))
	mux.Handle("POST /drafts/{id}/delete", s.auth(s.deleteDraft))
	mux.Handle("GET /status", s.auth(s.statusPage))
	mux.Handle("POST /alarms/{id}/ack", s.auth(s.ackAlarm))
	mux.Handle("POST /settings/language", s.auth(s.setLanguage))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.notFound(w, r)
	})
	return gate.Headers(mux, s.cfg.TLS())
}
