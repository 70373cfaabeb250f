// Package web holds the console's templates, on one base layout, and its
// static assets, embedded in the binary so that the console works
// offline and loads nothing from elsewhere.
package web

import (
	"embed"
	"html/template"
	"io/fs"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Templates parses every templates/*.html file, so that files other
// packages drop there (compose_form.html) join the set. funcs must name
// every function the templates call; the console binds them per request
// with Clone and Funcs.
func Templates(funcs template.FuncMap) (*template.Template, error) {
	return template.New("").Funcs(funcs).ParseFS(templates, "templates/*.html")
}

// Static returns the assets, served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	return sub
}
