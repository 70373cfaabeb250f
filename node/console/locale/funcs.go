package locale

import (
	"html/template"
	"time"
)

// Funcs are the template functions every console's templates write with,
// bound to p: T and TN (messages), date and datetime, and since (the time
// from t to now, as a duration). A console adds its own to them. p may be
// nil to name the functions when the templates are parsed; they are bound
// to a printer per request.
func (p *Printer) Funcs(now func() time.Time) template.FuncMap {
	if now == nil {
		now = time.Now
	}
	return template.FuncMap{
		"T":        func(id string, args ...any) string { return p.T(id, args...) },
		"TN":       func(id string, n int, args ...any) string { return p.TN(id, n, args...) },
		"date":     func(t time.Time) string { return p.Date(t) },
		"datetime": func(t time.Time) string { return p.DateTime(t) },
		"since":    func(t time.Time) string { return p.Duration(now().Sub(t)) },
	}
}
