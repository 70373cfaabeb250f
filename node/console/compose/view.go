package compose

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// View is the data the "compose-fields" template renders: a form, the
// values it is filled with and the errors Parse reported. The template
// calls T (func(id string, args ...any) string, args as key/value pairs
// for the message's template data: T "compose.error.too_long" "Max" 200)
// for every text it shows, and reads the rest through Sections and
// FormError.
type View struct {
	// Form is the form shown.
	Form *Form
	// Values fill it: a draft's, or what was submitted.
	Values url.Values
	// Errors are Parse's field errors, or nil.
	Errors map[string]string
}

// Section is one fieldset of a rendered form.
type Section struct {
	// Legend is the i18n id of the fieldset's legend.
	Legend string
	// Inputs are its fields.
	Inputs []Input
}

// Input is one field as rendered: a control, a set of check boxes, or a
// group of rows.
type Input struct {
	// Field is the field shown.
	Field *Field
	// Name is the control's name in the form's values.
	Name string
	// ID is the control's HTML id; HelpID and ErrorID are those of its
	// help and error texts.
	ID, HelpID, ErrorID string
	// Value is its current value (a lines field's, joined by newlines).
	Value string
	// Error is the i18n id of the error about it, or "".
	Error string
	// Options are the choices of a select, multiselect or owner.
	Options []Choice
	// Rows are the rows of a group.
	Rows []Row
}

// Describe returns the ids of the help and the error texts, for
// aria-describedby.
func (in Input) Describe() string {
	var ids []string
	if in.Field.Help != "" {
		ids = append(ids, in.HelpID)
	}
	if in.Error != "" {
		ids = append(ids, in.ErrorID)
	}
	return strings.Join(ids, " ")
}

// Choice is one option as rendered.
type Choice struct {
	// Value is what the form sends; ID the check box's HTML id.
	Value, ID string
	// Label is the i18n id of its text, which may use {{.N}}.
	Label string
	// N is the number of the person or organisation an owner option
	// names, else 0.
	N int
	// Selected says whether it is chosen.
	Selected bool
}

// Row is one row of a group.
type Row struct {
	// N is the row's number as the reader sees it, from 1.
	N int
	// ID is the HTML id of the row's fieldset; ErrorID its error text's.
	ID, ErrorID string
	// Error is the i18n id of an error about the whole row, or "".
	Error string
	// Cells are the row's controls.
	Cells []Input
}

// RowsField is the prefix of the hidden value that keeps how many rows a
// group shows: rows.GROUP.
const RowsField = "rows."

// FormError returns the i18n id of an error about the whole form, or "".
func (v *View) FormError() string { return v.Errors[FormError] }

// Sections returns the form's fields, grouped by section in order.
func (v *View) Sections() []Section {
	r := &renderer{v: v, rows: map[string]int{}}
	for i := range v.Form.Fields {
		if fd := &v.Form.Fields[i]; fd.Input == InputGroup {
			r.rows[fd.Name] = v.RowCount(fd)
		}
	}
	var out []Section
	for i := range v.Form.Fields {
		fd := &v.Form.Fields[i]
		if len(out) == 0 || out[len(out)-1].Legend != fd.Section {
			out = append(out, Section{Legend: fd.Section})
		}
		s := &out[len(out)-1]
		s.Inputs = append(s.Inputs, r.input(fd, fd.Name))
	}
	return out
}

func htmlID(name string) string { return "f-" + strings.ReplaceAll(name, ".", "-") }

// renderer builds one rendering's inputs, with the row counts of the
// groups worked out once.
type renderer struct {
	v    *View
	rows map[string]int
}

func (r *renderer) input(fd *Field, name string) Input {
	v := r.v
	id := htmlID(name)
	in := Input{
		Field: fd, Name: name, ID: id, HelpID: id + "-help", ErrorID: id + "-error",
		Value: v.Values.Get(name), Error: v.Errors[name],
	}
	switch fd.Input {
	case InputSelect, InputMultiSelect:
		chosen := v.Values[name]
		for j, o := range fd.Options {
			in.Options = append(in.Options, Choice{
				Value: o.Value, Label: o.Label, ID: id + "-" + strconv.Itoa(j),
				Selected: slices.Contains(chosen, o.Value),
			})
		}
	case InputOwner:
		in.Options = r.owners(in.Value)
	case InputGroup:
		for i := range r.rows[name] {
			row := Row{N: i + 1, ID: htmlID(rowName(name, i)), Error: v.Errors[rowName(name, i)]}
			row.ErrorID = row.ID + "-error"
			for j := range fd.Columns {
				row.Cells = append(row.Cells, r.input(&fd.Columns[j], cellName(name, i, fd.Columns[j].Name)))
			}
			in.Rows = append(in.Rows, row)
		}
	}
	return in
}

// owners returns the choices of an identifier's owner: none, each person
// row, each organisation row.
func (r *renderer) owners(current string) []Choice {
	choices := []Choice{{Value: "", Label: "compose.owner.none", Selected: current == ""}}
	for _, g := range []struct{ group, prefix, label string }{
		{"persons", "p", "compose.owner.person"},
		{"organisations", "o", "compose.owner.organisation"},
	} {
		for n := 1; n <= r.rows[g.group]; n++ {
			val := g.prefix + strconv.Itoa(n)
			choices = append(choices, Choice{Value: val, Label: g.label, N: n, Selected: current == val})
		}
	}
	return choices
}

// RowCount returns how many rows a group shows: its blank rows at first;
// then as many as the submitted form showed (RowsField), enough for every
// row with a value, and one more when the reader asked for it
// (AddRowField); at most the group's Max.
func (v *View) RowCount(g *Field) int {
	n := g.Rows
	if s, err := strconv.Atoi(v.Values.Get(RowsField + g.Name)); err == nil && s > n {
		n = s
	}
	prefix := g.Name + "."
	for key := range v.Values {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		is, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(is); err == nil && i >= n && i < maxRowIndex {
			n = i + 1
		}
	}
	if v.Values.Get(AddRowField) == g.Name {
		n++
	}
	limit := g.Max
	if limit == 0 || limit > maxRowIndex {
		limit = maxRowIndex
	}
	return min(n, limit)
}
