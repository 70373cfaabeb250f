package gate

import (
	"net/http"

	"github.com/casenode/casenode/node/console/locale"
)

// Layout is what every console's base layout reads of a page: each
// console's page data embeds it, with the fields of its own layout.
type Layout struct {
	// Lang is the page's language; Langs those of the language switch.
	Lang  string
	Langs []string
	// Title is the page's title: a message id until Fill translates it.
	Title string
	// Nav names the navigation entry of the page, if any.
	Nav string
	// Path is where the language switch comes back to.
	Path string
	// CSRF is the session's token for the page's forms; empty without a
	// session.
	CSRF string
	// Data is the page's own data.
	Data any
}

// Fill sets the layout's fields for request r, written by p: the
// language, the languages to switch to, the title translated, the
// session's CSRF token, and the path the language switch comes back to —
// the page itself for a GET with a session, else home.
func (l *Layout) Fill(r *http.Request, p *locale.Printer, csrf, home string) {
	l.Lang, l.Langs, l.Title, l.CSRF = p.Lang(), locale.Languages(), p.T(l.Title), csrf
	l.Path = home
	if r.Method == http.MethodGet && csrf != "" {
		l.Path = r.URL.RequestURI()
	}
}
