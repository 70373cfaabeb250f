// Package web holds the console's templates, on one base layout, and its
// static assets, embedded in the binary so that the console works
// offline and loads nothing from elsewhere; and the layout's pieces every
// console's templates share (layout/*.html: the document's start, the
// language and sign-out forms, the sign-in page).
package web

import (
	"embed"
	"html/template"
	"io/fs"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed layout/*.html
var layout embed.FS

//go:embed static
var static embed.FS

// Templates parses the layout's pieces and every templates/*.html file,
// so that files other packages drop there (compose_form.html) join the
// set. funcs must name every function the templates call; the console
// binds them per request with Clone and Funcs.
func Templates(funcs template.FuncMap) (*template.Template, error) {
	return Parse(funcs, templates, "templates/*.html")
}

// Parse parses the layout's pieces with a console's own templates, the
// files of fsys that match pattern. The pieces are "document" (from
// <!doctype html> to the consoles' style sheet: the page's head goes on
// from there), "account" (the language and sign-out forms of a signed-in
// person) and "signin" (the sign-in page, whose Data is a Signin); they
// read the page's Lang, Title, CSRF, Path and Langs, and "signin" calls
// the console's "head" and "foot".
func Parse(funcs template.FuncMap, fsys fs.FS, pattern string) (*template.Template, error) {
	t, err := template.New("").Funcs(funcs).ParseFS(layout, "layout/*.html")
	if err != nil {
		return nil, err
	}
	return t.ParseFS(fsys, pattern)
}

// Signin is the data of the sign-in page ("signin").
type Signin struct {
	// Token is the form's double-submit token.
	Token string
	// Name is the account name typed, shown again.
	Name string
	// Error says, in the reader's language, why the last try failed.
	Error string
	// Help is the message id of the help under the form.
	Help string
}

// Static returns the assets, served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	return sub
}
