package auditor

import (
	"embed"
	"encoding/hex"
	"html/template"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var assets embed.FS

func templates() (*template.Template, error) {
	return template.New("").Funcs(funcs(nil)).ParseFS(templateFiles, "templates/*.html")
}

// page is what every template gets: the layout's fields and the page's
// own data.
type page struct {
	gate.Layout
	// Log is the log the page is about, for the navigation, or empty.
	Log string
	// Refresh, when set, reloads the page after that many seconds (the
	// progress of a verification, without script).
	Refresh int
}

func funcs(p *locale.Printer) template.FuncMap {
	f := p.Funcs(nil)
	maps.Copy(f, template.FuncMap{
		"num":  func(n any) string { return p.Number(toInt64(n)) },
		"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") + " UTC" },
		"hex":  hexOf,
		"join": strings.Join,
		"int":  func(n int64) int { return int(n) },
		"list": func(v ...any) []any { return v },
		"timep": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
		},
		"dur": func(d time.Duration) string {
			if d >= time.Millisecond {
				return d.Round(time.Millisecond).String()
			}
			return d.Round(time.Microsecond).String()
		},
		"pct": func(done, total int64) int64 {
			if total <= 0 {
				return 0
			}
			return done * 100 / total
		},
	})
	return f
}

// newPage returns the data of page title (a message id) at navigation
// entry nav, about log (or none), with the page's own data.
func newPage(title, nav, log string, data any) *page {
	return &page{Layout: gate.Layout{Title: title, Nav: nav, Data: data}, Log: log}
}

// render executes template name with the layout's fields filled.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *call, status int, name, title, log string, data any) {
	s.renderPage(w, r, c, status, name, newPage(title, "", log, data))
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, c *call, status int, name string, pg *page) {
	var p *locale.Printer
	csrf := ""
	if c != nil {
		p, csrf = c.p, c.sess.CSRF
	} else {
		p = s.cat.Printer(s.language(r))
	}
	pg.Fill(r, p, csrf, "/")
	gate.Page(w, s.log, s.tmpl, funcs(p), name, pg, status)
}

// fail renders an error page with message id msg.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *call, status int, msg string, args ...any) {
	p := s.cat.Printer(s.language(r))
	if c != nil {
		p = c.p
	}
	s.render(w, r, c, status, "error", "auditor.error.title", "", p.T(msg, args...))
}

// toInt64 turns the integers the templates count with into an int64.
func toInt64(n any) int64 {
	switch v := n.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	case uint64:
		return int64(v)
	}
	return 0
}

// hexOf writes bytes or a SHA-256 in hex.
func hexOf(v any) string {
	switch b := v.(type) {
	case []byte:
		return hex.EncodeToString(b)
	case [32]byte:
		return hex.EncodeToString(b[:])
	}
	return ""
}
