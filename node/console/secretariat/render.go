package secretariat

import (
	"errors"
	"html/template"
	"maps"
	"net/http"
	"time"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/node/hub"
)

// page is what every template gets: the layout's fields and the page's
// own data.
type page struct {
	gate.Layout
	Network string
	Account string
	Role    string
	// Secretariat says the person may change the roster.
	Secretariat bool
	// Alarms is the count shown on every page.
	Alarms int
}

func funcs(p *locale.Printer, now func() time.Time) template.FuncMap {
	f := p.Funcs(now)
	maps.Copy(f, template.FuncMap{
		"num":  func(n int64) string { return p.Number(n) },
		"int":  func(n int) int64 { return int64(n) },
		"dur":  func(d time.Duration) string { return p.Duration(d) },
		"size": func(n int64) string { return size(p, n) },
		"pct": func(n, of int64) int64 {
			if of <= 0 {
				return 0
			}
			return n * 100 / of
		},
		"short": func(kid string) string {
			if len(kid) > 12 {
				return kid[:12] + "…"
			}
			return kid
		},
	})
	return f
}

// size writes a byte count with a binary unit.
func size(p *locale.Printer, n int64) string {
	switch {
	case n >= 1<<30:
		return p.Number(n>>30) + " GiB"
	case n >= 1<<20:
		return p.Number(n>>20) + " MiB"
	case n >= 1<<10:
		return p.Number(n>>10) + " KiB"
	}
	return p.Number(n) + " B"
}

// render executes template name with the layout's fields filled from c.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *call, status int, name, title, nav string, data any) {
	pg := &page{Layout: gate.Layout{Title: title, Nav: nav, Data: data}, Network: s.h.Config().Network}
	var p *locale.Printer
	csrf := ""
	if c != nil {
		p, csrf = c.p, c.sess.CSRF
		pg.Account, pg.Role = c.staff.Name, string(c.staff.Role)
		pg.Secretariat = c.staff.Role == hub.RoleSecretariat
		if as, err := s.h.Alarms(r.Context(), s.now()); err == nil {
			pg.Alarms = len(as)
		}
	} else {
		p = s.cat.Printer(s.language(r))
	}
	pg.Fill(r, p, csrf, "/members")
	gate.Page(w, s.log, s.tmpl, funcs(p, s.now), name, pg, status)
}

// fail renders an error page with message id msg.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *call, status int, msg string, args ...any) {
	p := s.cat.Printer("en")
	if c != nil {
		p = c.p
	}
	s.render(w, r, c, status, "error", "sec.error.title", "", p.T(msg, args...))
}

// failErr renders an error page for an error of the hub, as the hub says
// it (its errors are in English), with its fix when it has one.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, c *call, status int, err error) {
	s.log.Warn("console request failed", "path", r.URL.Path, "err", err)
	msg := err.Error()
	var h hint.Hinted
	if errors.As(err, &h) && h.Hint() != "" {
		msg += " — " + h.Hint()
	}
	s.render(w, r, c, status, "error", "sec.error.title", "", c.p.T("sec.error.hub", "Detail", msg))
}
