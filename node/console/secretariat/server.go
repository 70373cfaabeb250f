// Package secretariat is the secretariat's web console, served by
// 'casenode hub run' (console.listen in hub.json): the members of the
// network with their health at the hub, admission, key rotation,
// revocation and renewal of the roster, the alarms, and the network's
// statistics from routing metadata, in English, French or Portuguese.
//
// It is a client of the hub (package hub) as the CLI is: every change goes
// through the hub's own operations, with the same checks as the commands,
// the secretariat key's passphrase asked in the form for each signing, and
// is recorded in the hub's audit log under "console:ACCOUNT". Sessions,
// CSRF and the security headers are package gate's, the languages package
// locale's, the style sheet package web's.
package secretariat

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/node/console/web"
	"github.com/casenode/casenode/node/hub"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// ActorPrefix starts the hub audit log's actor of every change made in the
// console: "console:" then the account name.
const ActorPrefix = "console:"

// Server serves the secretariat's console of one hub.
type Server struct {
	h        *hub.Hub
	cfg      config.Console
	log      *slog.Logger
	now      func() time.Time
	cat      *locale.Catalog
	tmpl     *template.Template
	sessions *gate.Sessions
	limiter  *gate.Limiter
	signin   *gate.SignIn
	site     gate.Site
}

// Options adjust a Server (package gate's, the same for every console).
type Options = gate.Options

// New returns the console of hub h, configured by cfg (hub.json's
// console section).
func New(h *hub.Hub, cfg config.Console, o Options) (*Server, error) {
	o = o.Defaults()
	cat, err := locale.Load()
	if err != nil {
		return nil, err
	}
	tmpl, err := web.Parse(funcs(nil, o.Now), templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{h: h, cfg: cfg, log: o.Logger.With("component", "secretariat console"), now: o.Now, cat: cat, tmpl: tmpl,
		sessions: gate.NewSessions(cfg.Idle(), cfg.Max(), o.Now), limiter: gate.NewLimiter(o.Now),
		site: gate.Site{Name: "secretariat console", Addr: cfg.Listen, CertFile: cfg.TLSCertFile, KeyFile: cfg.TLSKeyFile}}
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
	own, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/sec/", http.StripPrefix("/static/sec/", gate.Static(own)))
	mux.Handle("GET /static/", http.StripPrefix("/static/", gate.Static(web.Static())))
	mux.HandleFunc("GET /signin", s.signin.Page)
	mux.HandleFunc("POST /signin", s.signin.Post)
	mux.Handle("POST /signout", s.auth(s.signout))
	mux.Handle("GET /{$}", s.auth(func(w http.ResponseWriter, r *http.Request, c *call) {
		http.Redirect(w, r, "/members", http.StatusSeeOther)
	}))
	mux.Handle("GET /members", s.auth(s.members))
	mux.Handle("GET /members/{id}", s.auth(s.member))
	mux.Handle("POST /members/{id}/revoke", s.auth(s.secretariatOnly(s.revoke)))
	mux.Handle("POST /members/{id}/rotate", s.auth(s.secretariatOnly(s.rotate)))
	mux.Handle("POST /members/{id}/witness-reset", s.auth(s.secretariatOnly(s.witnessReset)))
	mux.Handle("GET /admit", s.auth(s.secretariatOnly(s.admitPage)))
	mux.Handle("POST /admit", s.auth(s.secretariatOnly(s.admit)))
	mux.Handle("POST /renew", s.auth(s.secretariatOnly(s.renew)))
	mux.Handle("GET /alarms", s.auth(s.alarms))
	mux.Handle("GET /stats", s.auth(s.statsPage))
	mux.Handle("GET /stats.csv", s.auth(s.statsCSV))
	mux.Handle("POST /settings/language", s.auth(s.setLanguage))
	mux.HandleFunc("/", http.NotFound)
	return gate.Headers(mux, s.cfg.TLS())
}
