package compose

import (
	"fmt"
	"html/template"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// templatePath is the compose template, in the console's templates.
var templatePath = filepath.Join("..", "web", "templates", "compose_form.html")

// renderForm executes compose-fields for a view with a T that records the
// ids it is asked for and writes them in brackets.
func renderForm(t *testing.T, view *View, used map[string]bool) string {
	t.Helper()
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"T": func(id string, args ...any) string {
			used[id] = true
			if len(args)%2 != 0 {
				t.Errorf("T(%q) with an odd number of arguments: %v", id, args)
			}
			return "[" + id + fmt.Sprint(args...) + "]"
		},
	}).ParseFiles(templatePath)
	if err != nil {
		t.Fatalf("parse template: %v", err)
	}
	var b strings.Builder
	if err := tmpl.ExecuteTemplate(&b, "compose-fields", view); err != nil {
		t.Fatalf("%s: execute: %v", view.Form.Kind, err)
	}
	return b.String()
}

var (
	controlRE = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	attrRE    = regexp.MustCompile(`\b(id|type|name|aria-describedby)="([^"]*)"`)
	labelRE   = regexp.MustCompile(`<label for="([^"]+)"`)
	idRE      = regexp.MustCompile(`\bid="([^"]+)"`)
)

// Every form renders, empty, filled and with errors; every control that
// the reader fills has a label; every id a control points to exists; every
// text the template shows is a message id the translations have.
func TestTemplateRendersEveryForm(t *testing.T) {
	used := map[string]bool{}
	for _, f := range Forms() {
		filled := exampleValues(f)
		errs := map[string]string{FormError: ErrInvalidValue}
		for i := range f.Fields {
			errs[f.Fields[i].Name] = ErrRequired
		}
		errs["persons.0.name"] = ErrTooLong
		errs["persons.1"] = ErrDuplicate
		for _, view := range []*View{
			{Form: f},
			{Form: f, Values: filled},
			{Form: f, Values: filled, Errors: errs},
		} {
			html := renderForm(t, view, used)
			checkLabels(t, f.Kind, html)
		}
	}
	known := map[string]bool{}
	for _, id := range MessageIDs() {
		known[id] = true
	}
	for id := range used {
		if !known[id] {
			t.Errorf("the template uses %q, which MessageIDs does not list", id)
		}
	}
}

func checkLabels(t *testing.T, kind, html string) {
	t.Helper()
	labelled := map[string]bool{}
	for _, m := range labelRE.FindAllStringSubmatch(html, -1) {
		labelled[m[1]] = true
	}
	ids := map[string]int{}
	for _, m := range idRE.FindAllStringSubmatch(html, -1) {
		ids[m[1]]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s: id %q used %d times", kind, id, n)
		}
	}
	controls := 0
	for _, c := range controlRE.FindAllString(html, -1) {
		attrs := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(c, -1) {
			attrs[m[1]] = m[2]
		}
		if attrs["type"] == "hidden" {
			continue
		}
		controls++
		if attrs["name"] == "" {
			t.Errorf("%s: control without a name: %s", kind, c)
		}
		if !labelled[attrs["id"]] {
			t.Errorf("%s: control without a label: %s", kind, c)
		}
		for _, ref := range strings.Fields(attrs["aria-describedby"]) {
			if ids[ref] == 0 {
				t.Errorf("%s: %s describedby %q, which is not on the page", kind, attrs["id"], ref)
			}
		}
	}
	if controls == 0 {
		t.Errorf("%s: no controls rendered", kind)
	}
}

// The add-row button gives a group one more row; the values already
// entered stay, and the owner choices follow the persons' rows.
func TestViewAddRow(t *testing.T) {
	f, _ := Lookup("lead")
	v := url.Values{"persons.4.name": {"Awa"}, AddRowField: {"persons"}}
	view := &View{Form: f, Values: v}
	persons, _ := f.Field("persons")
	if got := view.RowCount(persons); got != 6 {
		t.Fatalf("persons rows %d, want 6 (rows 0–4 and one added)", got)
	}
	html := renderForm(t, view, map[string]bool{})
	if !strings.Contains(html, `name="persons.5.name"`) || !strings.Contains(html, `value="Awa"`) {
		t.Error("the added row or the entered value is missing")
	}
	if !strings.Contains(html, `<option value="p6">`) || strings.Contains(html, `<option value="p7">`) {
		t.Error("owner choices do not list persons 1 to 6")
	}
	if !strings.Contains(html, `name="add_row" value="persons"`) {
		t.Error("no add-row button for persons")
	}
	v.Set(RowsField+"persons", "100")
	if got := view.RowCount(persons); got != 100 {
		t.Errorf("rows past Max: %d, want 100", got)
	}
	if html := renderForm(t, view, map[string]bool{}); strings.Contains(html, `value="persons"`) {
		t.Error("an add-row button on a full group")
	}
	if !slices.Contains(MessageIDs(), "compose.persons.add") {
		t.Error("MessageIDs lacks the add-row label")
	}
}
