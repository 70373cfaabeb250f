package gate

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
)

// Page renders template name of tmpl, with funcs bound for this request
// (on a clone, so that requests do not share them), and writes it with
// status, uncached. The page is rendered into a buffer first: a template
// error is logged and answered 500, never sent as half a page.
func Page(w http.ResponseWriter, log *slog.Logger, tmpl *template.Template, funcs template.FuncMap, name string, data any, status int) {
	t, err := tmpl.Clone()
	if err == nil {
		t = t.Funcs(funcs)
		var buf bytes.Buffer
		if err = t.ExecuteTemplate(&buf, name, data); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			w.Write(buf.Bytes())
			return
		}
	}
	log.Error("render page", "template", name, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
