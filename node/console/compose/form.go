package compose

import (
	"github.com/casenode/casenode/protocol"
)

// The kinds of input a Field renders as.
const (
	// InputText is a one-line text box.
	InputText = "text"
	// InputTextarea is a multi-line text box; lines end in "\n" in the body.
	InputTextarea = "textarea"
	// InputLines is a text area holding one value per line (case ids).
	InputLines = "lines"
	// InputDate is a calendar date written YYYY-MM-DD.
	InputDate = "date"
	// InputSelect is one choice among Options, with a blank first choice.
	InputSelect = "select"
	// InputMultiSelect is any number of choices among Options, rendered as
	// check boxes.
	InputMultiSelect = "multiselect"
	// InputGroup is a repeated group of Columns: a table of rows named
	// NAME.I.COLUMN, I from 0. Blank rows are ignored.
	InputGroup = "group"
	// InputOwner is a group column choosing which listed person or
	// organisation a row belongs to: "" (none), "pN" or "oN", N from 1.
	InputOwner = "owner"
)

// CaseField is the name of the field that holds the case id, on every form.
// The case id travels in the message header: Parse checks it but leaves it
// out of the body, and the core reads it from the values.
const CaseField = "case"

// ReferenceField is the name of the field that holds the id of the message
// a reply or a status is about.
const ReferenceField = "reference"

// AddRowField is the name of the submit button that asks for one more row
// in a group; its value is the group's name. A core that sees it re-renders
// the form (with NewView) instead of sending.
const AddRowField = "add_row"

// Field is one question of a form.
type Field struct {
	// Name is the key of the field's value in url.Values; for a group
	// column, the last part of NAME.I.COLUMN.
	Name string
	// Label is the i18n message id of the field's label.
	Label string
	// Help is the i18n message id of a hint shown under the field, or "".
	Help string
	// Section is the i18n message id of the legend of the fieldset the
	// field is shown in.
	Section string
	// Input is one of the Input constants.
	Input string
	// Required fields must be filled (a group: at least one row; a group
	// column: in every row that is not blank).
	Required bool
	// Options are the choices of a select or multiselect.
	Options []Option
	// Max is the most characters a text takes, or the most rows of a
	// group, or 0 for no limit of the form's own.
	Max int
	// Columns are the fields of each row of a group.
	Columns []Field
	// Rows is the number of blank rows a group offers at first.
	Rows int

	// wire is, for a question specific to a kind of request, the label
	// written before the answer in the body (in English, the network's
	// working language for labels), and into says where the answer goes:
	// intoFacts or intoMeasures.
	wire, into string
}

// Option is one choice of a select or multiselect.
type Option struct {
	// Value is what the form sends.
	Value string
	// Label is the i18n message id of what the reader sees.
	Label string
}

// Form is a guided form for one message type or one kind of request.
type Form struct {
	// Kind names the form: "lead", "reply", "status", or a request kind
	// (protocol.RequestKinds).
	Kind string
	// Type is the message type the form writes.
	Type protocol.MessageType
	// Title is the i18n message id of the form's title.
	Title string
	// Intro is the i18n message id of a paragraph that says what the form
	// is for.
	Intro string
	// Fields are the form's questions, in order.
	Fields []Field
}

// Field returns the field (or group) named name, and whether there is one.
func (f *Form) Field(name string) (*Field, bool) {
	for i := range f.Fields {
		if f.Fields[i].Name == name {
			return &f.Fields[i], true
		}
	}
	return nil, false
}

// Forms returns every form: lead, each request kind in the order of
// protocol.RequestKinds, reply, status. Each call builds new forms, so a
// caller may not change another's.
func Forms() []*Form {
	forms := []*Form{leadForm()}
	for _, k := range protocol.RequestKinds() {
		forms = append(forms, requestForm(k))
	}
	return append(forms, replyForm(), statusForm())
}

// Lookup returns the form named kind.
func Lookup(kind string) (*Form, bool) {
	for _, f := range Forms() {
		if f.Kind == kind {
			return f, true
		}
	}
	return nil, false
}
