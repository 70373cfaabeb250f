package console

import (
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/node/console/compose"
	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/protocol"
)

// page is what every template gets: the layout's fields and the page's
// own data.
type page struct {
	gate.Layout
	Agency  string
	Network string
	// Networks are the agency's nodes in other networks, for a signed-in
	// person (networks.go).
	Networks []networkState
	Account  string
	Role     string
	Banners  []banner
}

// banner is a notice shown on top of every page.
type banner struct {
	// Level is info, warn or alarm (its CSS class).
	Level string
	Text  string
}

// funcStubs names the template functions; funcs binds them to a printer.
func funcStubs() template.FuncMap { return funcs(nil, time.Now) }

func funcs(p *locale.Printer, now func() time.Time) template.FuncMap {
	f := p.Funcs(now)
	maps.Copy(f, template.FuncMap{
		"dtp": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return p.DateTime(*t)
		},
		"num":     func(n int) string { return p.Number(int64(n)) },
		"join":    strings.Join,
		"lines":   func(s string) []string { return strings.Split(s, "\n") },
		"str":     func(v any) string { return toString(v) },
		"summary": func(t protocol.MessageType, s string) string { return summary(p, t, s) },
		"formtitle": func(kind string) string {
			if f, ok := compose.Lookup(kind); ok {
				return p.T(f.Title)
			}
			return kind
		},
		"deref":    func(b *bool) bool { return b != nil && *b },
		"int64":    func(n int64) int { return int(n) },
		"size":     sizeOf,
		"transfer": func(done, total int64, rate float64) string { return transferText(p, done, total, rate) },
	})
	return f
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case interface{ String() string }:
		return x.String()
	}
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(fmt.Sprint(v), "\n", " "), "\t", " "))
}

// render executes template name with the layout's fields filled from c.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *call, status int, name, title, nav string, data any) {
	pg := &page{Layout: gate.Layout{Title: title, Nav: nav, Data: data}, Agency: s.n.Agency(), Network: s.n.Network()}
	var p *locale.Printer
	csrf := ""
	if c != nil {
		p, csrf = c.p, c.sess.CSRF
		pg.Account, pg.Role = c.account.Name, string(c.account.Role)
		pg.Banners = s.banners(r, c)
		pg.Networks = s.networks.states(r.Context())
	} else {
		p = s.cat.Printer(s.cat.Pick(r, ""))
	}
	pg.Fill(r, p, csrf, "/inbox")
	gate.Page(w, s.log, s.tmpl, funcs(p, s.now), name, pg, status)
}

// fail renders an error page with message id msg.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *call, status int, msg string, args ...any) {
	p := s.cat.Printer("en")
	if c != nil {
		p = c.p
	}
	s.render(w, r, c, status, "error", "error.title", "", p.T(msg, args...))
}

// failErr renders an error page for an error of the node: its message as
// the node says it (the node's errors are in English).
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, c *call, err error) {
	s.log.Warn("console request failed", "path", r.URL.Path, "err", err)
	s.render(w, r, c, api.StatusOf(err), "error", "error.title", "", c.p.T("error.node", "Detail", err.Error()))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	http.NotFound(w, r)
}
