// Package auditor is the auditor's web console, 'casenode audit serve': on
// the auditor's own machine, offline, it opens copies of agencies' audit
// logs read-only and lets the auditor verify them with a progress bar and
// the result in words, read their timeline filtered by case, agency, type
// and time, expand any record to its decoded fields, hashes and inclusion
// proof, and download the proofs — in English, French or Portuguese.
//
// There are no accounts: the console listens on loopback, and the address
// it prints carries a one-time token that opens a session in the browser
// (package gate's sessions, CSRF tokens and headers). Requests naming
// another host than the listening address are refused, against DNS
// rebinding.
package auditor

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/node/console/web"
)

// Session lengths: an auditor's working day.
const (
	sessionIdle = 8 * time.Hour
	sessionMax  = 24 * time.Hour
	// lockTimeout is how long opening a log waits for a node's lock.
	lockTimeout = time.Second
)

// Server serves the auditor's console over a set of logs.
type Server struct {
	logs     map[string]*logFile
	names    []string
	log      *slog.Logger
	now      func() time.Time
	cat      *locale.Catalog
	tmpl     *template.Template
	sessions *gate.Sessions
	site     gate.Site

	mu     sync.Mutex
	tokens map[string]bool

	ctx    context.Context
	cancel context.CancelFunc
	jobs   sync.WaitGroup
}

// logFile is one log the console serves.
type logFile struct {
	name string
	path string
	r    *auditlog.Reader
	// err is why the file did not open as an audit log.
	err error

	mu  sync.Mutex
	job *job
}

// Options adjust a Server (package gate's, the same for every console).
type Options = gate.Options

// Open opens the logs at paths read-only. A file that is not an audit log
// is listed with the reason; Open fails only when none opens.
func Open(paths []string, o Options) (*Server, error) {
	s, err := newServer(o)
	if err != nil {
		return nil, err
	}
	cancel := s.cancel
	opened := 0
	var firstErr error
	for _, p := range paths {
		name := filepath.Base(p)
		if _, dup := s.logs[name]; dup {
			cancel()
			s.closeReaders()
			return nil, fmt.Errorf("two logs named %s: give files of different names", name)
		}
		lf := &logFile{name: name, path: p}
		lf.r, lf.err = auditlog.OpenReader(p, auditlog.ReadOptions{LockTimeout: lockTimeout})
		if lf.err == nil {
			opened++
		} else if firstErr == nil {
			firstErr = lf.err
		}
		s.logs[name] = lf
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	if opened == 0 {
		cancel()
		if firstErr == nil {
			return nil, fmt.Errorf("no audit log to serve")
		}
		return nil, firstErr
	}
	return s, nil
}

// newServer returns a console serving no log yet.
func newServer(o Options) (*Server, error) {
	o = o.Defaults()
	cat, err := locale.Load()
	if err != nil {
		return nil, err
	}
	tmpl, err := templates()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{logs: map[string]*logFile{}, log: o.Logger.With("component", "audit console"), now: o.Now, cat: cat, tmpl: tmpl,
		sessions: gate.NewSessions(sessionIdle, sessionMax, o.Now), tokens: map[string]bool{}, ctx: ctx, cancel: cancel,
		site: gate.Site{Name: "audit console"}}, nil
}

// Close stops the verifications under way and closes the logs.
func (s *Server) Close() error {
	s.cancel()
	s.jobs.Wait()
	return s.closeReaders()
}

func (s *Server) closeReaders() error {
	var first error
	for _, lf := range s.logs {
		if lf.r != nil {
			if err := lf.r.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// Listen opens addr.
func (s *Server) Listen(addr string) error {
	s.site.Addr = addr
	return s.site.Listen()
}

// URL returns the console's address once Listen has returned.
func (s *Server) URL() string { return s.site.URL() }

// StartURL returns an address that opens a session in the browser that
// follows it, once: the URL with a new one-time token.
func (s *Server) StartURL() string {
	t := gate.Token()
	s.mu.Lock()
	s.tokens[t] = true
	s.mu.Unlock()
	return s.URL() + "start?token=" + t
}

// Serve serves the console on the address of Listen until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	if s.site.Bound() == nil {
		return errors.New("audit console: Listen first")
	}
	return s.site.Serve(ctx, s.Handler(), s.log)
}

// Handler returns the console's routes behind its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/auditor.css", http.StripPrefix("/static/", gate.Static(staticFS())))
	mux.Handle("GET /static/", http.StripPrefix("/static/", gate.Static(web.Static())))
	mux.HandleFunc("GET /start", s.start)
	mux.Handle("POST /settings/language", s.auth(s.setLanguage))
	mux.Handle("GET /{$}", s.auth(s.index))
	mux.Handle("GET /logs/{log}", s.auth(s.withLog(s.overview)))
	mux.Handle("POST /logs/{log}/verify", s.auth(s.withLog(s.startVerify)))
	mux.Handle("GET /logs/{log}/verify", s.auth(s.withLog(s.verifyPage)))
	mux.Handle("GET /logs/{log}/checkpoint", s.auth(s.withLog(s.latestCheckpoint)))
	mux.Handle("GET /logs/{log}/timeline", s.auth(s.withLog(s.timeline)))
	mux.Handle("GET /logs/{log}/records/{index}", s.auth(s.withLog(s.recordPage)))
	mux.Handle("GET /logs/{log}/records/{index}/proof", s.auth(s.withLog(s.proofFile)))
	mux.Handle("GET /logs/{log}/records/{index}/delivery", s.auth(s.withLog(s.deliveryProof)))
	mux.Handle("GET /compare", s.auth(s.compare))
	mux.Handle("/", s.auth(func(w http.ResponseWriter, r *http.Request, c *call) {
		s.fail(w, r, c, http.StatusNotFound, "auditor.error.notfound")
	}))
	return gate.Headers(s.hostOnly(s.recovering(mux)), false)
}

// recovering turns a panic of a page into an error page: bbolt panics when
// a log's file is changed under the console, and the other logs' pages
// must go on working.
func (s *Server) recovering(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("audit console: reading a log failed", "path", r.URL.Path, "panic", p)
				s.fail(w, r, nil, http.StatusInternalServerError, "auditor.error.read", "Detail", fmt.Sprint(p))
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// withLog resolves the {log} of the path to one of the served logs that
// opened.
func (s *Server) withLog(h func(w http.ResponseWriter, r *http.Request, c *call, lf *logFile)) func(w http.ResponseWriter, r *http.Request, c *call) {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		lf := s.logs[r.PathValue("log")]
		if lf == nil || lf.r == nil {
			s.fail(w, r, c, http.StatusNotFound, "auditor.error.nolog")
			return
		}
		h(w, r, c, lf)
	}
}

// own returns the agency whose log lf is, from its origin
// casenode/NETWORK/AGENCY.
func (lf *logFile) own() string {
	o := lf.r.Origin()
	return o[strings.LastIndexByte(o, '/')+1:]
}

// staticFS holds the console's own style sheet, on top of the agency
// console's.
func staticFS() fs.FS {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err)
	}
	return sub
}
