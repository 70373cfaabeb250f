package locale

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// pluralForms are the CLDR plural categories of each language for whole
// numbers, as go-i18n applies them.
var pluralForms = map[string][]string{
	"en": {"one", "other"},
	"fr": {"one", "many", "other"},
	"pt": {"one", "many", "other"},
}

// forms returns the plural forms a message sets, or nil for a message
// without plural forms.
func forms(m *i18n.Message) []string {
	var out []string
	for f, s := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many} {
		if s != "" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	out = append(out, "other")
	sort.Strings(out)
	return out
}

// checkComplete is the completeness rule of the console's languages:
// every message of English exists in every language, in every file set,
// is not empty, and has exactly its language's plural forms when English
// has plural forms.
func checkComplete(c *Catalog) []string {
	var problems []string
	msgs := map[string]map[string]*i18n.Message{}
	where := map[string]string{}
	for _, mf := range c.Files() {
		lang := mf.Tag.String()
		if msgs[lang] == nil {
			msgs[lang] = map[string]*i18n.Message{}
		}
		for _, m := range mf.Messages {
			if prev, dup := where[lang+" "+m.ID]; dup {
				problems = append(problems, lang+": "+m.ID+" is in "+prev+" and "+mf.Path)
			}
			where[lang+" "+m.ID] = mf.Path
			msgs[lang][m.ID] = m
		}
	}
	for _, lang := range Languages() {
		if msgs[lang] == nil {
			problems = append(problems, "no messages in "+lang)
		}
	}
	for id, en := range msgs["en"] {
		for _, lang := range Languages() {
			m := msgs[lang][id]
			if m == nil {
				problems = append(problems, lang+": missing "+id)
				continue
			}
			if forms(en) == nil {
				if strings.TrimSpace(m.Other) == "" || forms(m) != nil {
					problems = append(problems, lang+": "+id+" is empty or has plural forms English does not")
				}
				continue
			}
			want := slices.Clone(pluralForms[lang])
			sort.Strings(want)
			if got := forms(m); !slices.Equal(got, want) {
				problems = append(problems, lang+": "+id+" has plural forms "+strings.Join(got, ",")+", want "+strings.Join(want, ","))
			}
			for _, s := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
				if s != "" && strings.TrimSpace(s) == "" {
					problems = append(problems, lang+": "+id+" has a blank form")
				}
			}
		}
	}
	for lang, ms := range msgs {
		for id := range ms {
			if msgs["en"][id] == nil {
				problems = append(problems, lang+": "+id+" is not in English")
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// TestComplete fails when a message of English is missing or empty in a
// language, in any file of the translations folder, or when a plural has
// the wrong forms.
func TestComplete(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkComplete(c) {
		t.Error(p)
	}
}

// TestCompleteCatches shows that the rule catches what it must, on a
// catalog with one fault of each kind.
func TestCompleteCatches(t *testing.T) {
	fsys := fstest.MapFS{
		"tr/ui.en.json":    {Data: []byte(`{"a": "A", "b": "B", "n": {"one": "{{.Count}} x", "other": "{{.Count}} xs"}}`)},
		"tr/ui.fr.json":    {Data: []byte(`{"a": "A", "b": " ", "n": {"one": "{{.Count}} x", "other": "{{.Count}} xs"}}`)},
		"tr/ui.pt.json":    {Data: []byte(`{"a": "A", "n": {"one": "{{.Count}} x", "many": "{{.Count}} de xs", "other": "{{.Count}} xs"}}`)},
		"tr/vocab.en.json": {Data: []byte(`{"v": "V", "a": "A again"}`)},
		"tr/vocab.fr.json": {Data: []byte(`{"v": "V"}`)},
		"tr/vocab.pt.json": {Data: []byte(`{}`)},
	}
	c, err := LoadFS(fsys, "tr")
	if err != nil {
		t.Fatal(err)
	}
	got := checkComplete(c)
	want := []string{
		"en: a is in tr/ui.en.json and tr/vocab.en.json",
		"fr: b is empty or has plural forms English does not",
		"fr: n has plural forms one,other, want many,one,other",
		"pt: missing b",
		"pt: missing v",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPlurals(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 message"}, {"en", 0, "0 messages"}, {"en", 1234, "1,234 messages"},
		{"fr", 0, "0 message"}, {"fr", 1, "1 message"}, {"fr", 2, "2 messages"}, {"fr", 1000000, "1\u00a0000\u00a0000 de messages"},
		{"pt", 1, "1 mensagem"}, {"pt", 3, "3 mensagens"}, {"pt", 1234, "1.234 mensagens"},
	} {
		if got := c.Printer(tc.lang).TN("inbox.count", tc.n); got != tc.want {
			t.Errorf("%s %d: %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

func TestDates(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, time.February, 6, 14, 5, 0, 0, time.FixedZone("WAT", 3600))
	for _, tc := range []struct{ lang, date, datetime string }{
		{"en", "6 Feb 2026", "6 Feb 2026, 13:05 UTC"},
		{"fr", "6 févr. 2026", "6 févr. 2026 à 13:05 UTC"},
		{"pt", "6 fev. 2026", "6 fev. 2026 às 13:05 UTC"},
	} {
		p := c.Printer(tc.lang)
		if got := p.Date(at); got != tc.date {
			t.Errorf("%s date %q, want %q", tc.lang, got, tc.date)
		}
		if got := p.DateTime(at); got != tc.datetime {
			t.Errorf("%s datetime %q, want %q", tc.lang, got, tc.datetime)
		}
	}
	if got := c.Printer("fr").Duration(49 * time.Hour); got != "2 jours" {
		t.Errorf("duration %q", got)
	}
	if got := c.Printer("en").Duration(time.Minute); got != "1 minute" {
		t.Errorf("duration %q", got)
	}
}

func TestMatch(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for accept, want := range map[string]string{
		"fr-SN,fr;q=0.9,en;q=0.5": "fr", "pt-CV": "pt", "pt-BR,en;q=0.5": "pt", "en-GH": "en", "wo-SN": "fr", "de-DE": "en", "": "en", "de-DE,fr;q=0.3": "fr",
	} {
		if got := c.Match(accept); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", accept, got, want)
		}
	}
}
