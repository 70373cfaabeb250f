// Package locale is the console's languages: English, French and
// Portuguese messages loaded from the embedded translations/*.json files
// (go-i18n, CLDR plural rules), the choice of a language from a person's
// setting or the browser's Accept-Language, and dates and numbers written
// the way each language writes them.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed translations/*.json
var files embed.FS

// Languages are the console's languages, English (the fallback) first.
func Languages() []string { return []string{"en", "fr", "pt"} }

// Catalog holds every message of every language.
type Catalog struct {
	bundle  *i18n.Bundle
	matcher language.Matcher
	files   []*i18n.MessageFile
}

// Load reads every file of the embedded translations folder: ui.LANG.json
// and the files other packages add there (go-i18n takes the language
// from the file name).
func Load() (*Catalog, error) {
	return LoadFS(files, "translations")
}

// LoadFS reads every *.json file of dir in fsys.
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	c := &Catalog{bundle: b}
	for _, name := range names {
		mf, err := b.LoadMessageFileFS(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("translations %s: %w", name, err)
		}
		c.files = append(c.files, mf)
	}
	tags := make([]language.Tag, len(Languages()))
	for i, l := range Languages() {
		tags[i] = language.Make(l)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// Files returns the message files loaded, for tests of completeness.
func (c *Catalog) Files() []*i18n.MessageFile { return c.files }

// Match returns the console language closest to an Accept-Language
// header; English if none is close.
func (c *Catalog) Match(accept string) string {
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return Languages()[i]
}

// Pick returns picked (a person's setting, a browser's cookie) when it is
// one of Languages, else the language closest to the request's
// Accept-Language.
func (c *Catalog) Pick(r *http.Request, picked string) string {
	if Supported(picked) {
		return picked
	}
	return c.Match(r.Header.Get("Accept-Language"))
}

// Supported says whether lang is one of Languages.
func Supported(lang string) bool {
	for _, l := range Languages() {
		if l == lang {
			return true
		}
	}
	return false
}

// Printer writes in one language.
type Printer struct {
	lang string
	loc  *i18n.Localizer
	num  *message.Printer
}

// Printer returns the printer of lang (English if lang is not supported).
func (c *Catalog) Printer(lang string) *Printer {
	if !Supported(lang) {
		lang = "en"
	}
	return &Printer{lang: lang, loc: i18n.NewLocalizer(c.bundle, lang), num: message.NewPrinter(language.Make(lang))}
}

// Lang returns the printer's language code (en, fr, pt).
func (p *Printer) Lang() string { return p.lang }

// data turns alternating names and values into template data.
func data(args []any) map[string]any {
	if len(args) == 0 {
		return nil
	}
	m := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		m[fmt.Sprint(args[i])] = args[i+1]
	}
	return m
}

// T returns message id with its {{.Name}} placeholders filled from args,
// alternating names and values: T("inbox.count", "Count", 3). A missing
// message shows its id, so that it is seen and fixed.
func (p *Printer) T(id string, args ...any) string {
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data(args)})
	if err != nil && s == "" {
		return id
	}
	return s
}

// TN returns message id in the plural form for n; the placeholder
// {{.Count}} holds n written in the language.
func (p *Printer) TN(id string, n int, args ...any) string {
	d := data(args)
	if d == nil {
		d = map[string]any{}
	}
	d["Count"] = p.Number(int64(n))
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: d, PluralCount: n})
	if err != nil && s == "" {
		return id
	}
	return s
}

// Number writes n with the language's digit grouping (1,234 · 1 234 ·
// 1.234).
func (p *Printer) Number(n int64) string { return p.num.Sprintf("%d", n) }
