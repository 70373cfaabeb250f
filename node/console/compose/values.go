package compose

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/casenode/casenode/protocol"
)

// FormFor returns the form that writes bodies like body: the request's kind
// for a request, else the message type's form.
func FormFor(t protocol.MessageType, body []byte) (*Form, error) {
	kind := ""
	switch t {
	case protocol.TypeLead:
		kind = "lead"
	case protocol.TypeReply:
		kind = "reply"
	case protocol.TypeStatus:
		kind = "status"
	case protocol.TypeRequest:
		b, err := protocol.DecodeBody(t, body)
		if err != nil {
			return nil, err
		}
		kind = string(b.(*protocol.Request).Kind)
	default:
		return nil, fmt.Errorf("no form writes %s messages", t)
	}
	f, _ := Lookup(kind)
	return f, nil
}

// Values returns the form values that Parse turns back into body, to refill
// a form from a draft's or an earlier message's body. The body is decoded
// and validated as the protocol does. A request's facts and measures are
// split back into the questions they were composed from, by their labels;
// text the form did not write stays in the facts and in the free list of
// measures. The case id is not in a body: the caller adds it.
func (f *Form) Values(body []byte) (url.Values, error) {
	b, err := protocol.DecodeBody(f.Type, body)
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	switch b := b.(type) {
	case *protocol.Lead:
		f.leadValues(v, b)
	case *protocol.Request:
		if string(b.Kind) != f.Kind {
			return nil, fmt.Errorf("a %s request does not fit the %s form", b.Kind, f.Kind)
		}
		f.requestValues(v, b)
	case *protocol.Reply:
		set(v, ReferenceField, b.InReplyTo)
		set(v, "text", b.Text)
		for i, d := range b.Documents {
			set(v, cellName("documents", i, "title"), d.Title)
			set(v, cellName("documents", i, "sha256"), d.SHA256)
		}
	case *protocol.Status:
		set(v, ReferenceField, b.About)
		set(v, "state", string(b.State))
		set(v, "reason", b.Reason)
		set(v, "note", b.Note)
	}
	return v, nil
}

// set sets a value unless it is empty.
func set(v url.Values, name, value string) {
	if value != "" {
		v.Set(name, value)
	}
}

func (f *Form) leadValues(v url.Values, l *protocol.Lead) {
	set(v, "title", l.Title)
	set(v, "summary", l.Summary)
	for _, c := range l.CrimeTypes {
		v.Add("crime_types", string(c))
	}
	set(v, "urgency", string(l.Urgency))
	set(v, "handling", string(l.Handling))
	set(v, "handling_conditions", l.HandlingConditions)
	set(v, "source_evaluation", string(l.SourceEvaluation))
	set(v, "information_evaluation", strconv.Itoa(int(l.InformationEvaluation)))
	next := personValues(v, l.Persons)
	for i, o := range l.Organisations {
		set(v, cellName("organisations", i, "name"), o.Name)
		set(v, cellName("organisations", i, "country"), o.Country)
		for _, id := range o.Identifiers {
			identifierValues(v, next, "o"+strconv.Itoa(i+1), id)
			next++
		}
	}
	for _, id := range l.Identifiers {
		identifierValues(v, next, "", id)
		next++
	}
	for _, l := range l.Languages {
		v.Add("languages", l)
	}
	set(v, "related_cases", strings.Join(l.RelatedCases, "\n"))
}

// personValues sets the persons' rows and their identifiers' rows, and
// returns the index of the next free identifier row.
func personValues(v url.Values, persons []protocol.Person) int {
	next := 0
	for i, p := range persons {
		set(v, cellName("persons", i, "name"), p.Name)
		set(v, cellName("persons", i, "role"), string(p.Role))
		set(v, cellName("persons", i, "nationality"), p.Nationality)
		set(v, cellName("persons", i, "date_of_birth"), p.DateOfBirth)
		for _, id := range p.Identifiers {
			identifierValues(v, next, "p"+strconv.Itoa(i+1), id)
			next++
		}
	}
	return next
}

func identifierValues(v url.Values, i int, owner string, id protocol.Identifier) {
	set(v, cellName("identifiers", i, "owner"), owner)
	set(v, cellName("identifiers", i, "kind"), string(id.Kind))
	set(v, cellName("identifiers", i, "value"), id.Value)
	set(v, cellName("identifiers", i, "country"), id.Country)
	set(v, cellName("identifiers", i, "label"), id.Label)
}

func (f *Form) requestValues(v url.Values, r *protocol.Request) {
	set(v, "urgency", string(r.Urgency))
	if !r.Deadline.IsZero() {
		v.Set("deadline", r.Deadline.UTC().Format(time.DateOnly))
	}
	for i, b := range r.LegalBasis {
		set(v, cellName("legal_basis", i, "instrument"), b.Instrument)
		set(v, cellName("legal_basis", i, "article"), b.Article)
	}
	// The facts: the sections Parse appended, last first.
	facts := r.Facts
	for i := len(f.Fields) - 1; i >= 0; i-- {
		fd := &f.Fields[i]
		if fd.into != intoFacts {
			continue
		}
		marker := "\n\n" + fd.wire + ":\n"
		if at := strings.LastIndex(facts, marker); at >= 0 {
			v.Set(fd.Name, facts[at+len(marker):])
			facts = facts[:at]
		}
	}
	set(v, "facts", facts)
	// The measures: Parse writes the answers to the questions first, in
	// the form's order, each after its label; the free list follows.
	var questions []*Field
	for i := range f.Fields {
		if f.Fields[i].into == intoMeasures {
			questions = append(questions, &f.Fields[i])
		}
	}
	n := 0
	for _, m := range r.MeasuresRequested {
		if n == 0 {
			if k, answer := answerOf(questions, m); k >= 0 {
				v.Set(questions[k].Name, answer)
				questions = questions[k+1:]
				continue
			}
		}
		v.Set(cellName("measures", n, "text"), m)
		n++
	}
	next := personValues(v, r.Persons)
	for _, id := range r.Identifiers {
		identifierValues(v, next, "", id)
		next++
	}
	for _, l := range r.Languages {
		v.Add("languages", l)
	}
}

// answerOf returns the index of the first of questions whose label starts
// measure m, and the answer after the label, or -1.
func answerOf(questions []*Field, m string) (int, string) {
	for k, q := range questions {
		if a, ok := strings.CutPrefix(m, q.wire+": "); ok && a != "" {
			return k, a
		}
	}
	return -1, ""
}

// ReplyPrefill returns the values that start an answer to the message of
// type orig with id reference, in case caseID: the case and the reference.
// The reply and the status forms both take them (a status reports on the
// execution of a request; a reply answers a lead or a request). It returns
// nil for a contact card or a receipt, which are not answered.
func ReplyPrefill(orig protocol.MessageType, caseID, reference string) url.Values {
	switch orig {
	case protocol.TypeLead, protocol.TypeRequest, protocol.TypeReply, protocol.TypeStatus:
	default:
		return nil
	}
	values := url.Values{}
	set(values, CaseField, caseID)
	set(values, ReferenceField, reference)
	return values
}

// MaxDraftSize bounds an encoded draft.
const MaxDraftSize = MaxValuesSize + 64<<10

// EncodeDraft encodes the values of a form being written, for the core to
// store until the message is sent. Only the form's own values are kept
// (the case id among them), not the core's (CSRF token, AddRowField).
func (f *Form) EncodeDraft(values url.Values) []byte {
	kept := url.Values{}
	for k, vs := range values {
		if f.owns(k) {
			kept[k] = vs
		}
	}
	data, _ := json.Marshal(struct {
		Kind   string     `json:"kind"`
		Values url.Values `json:"values"`
	}{f.Kind, kept})
	return data
}

// DecodeDraft decodes a draft written by EncodeDraft: the form it belongs
// to and its values.
func DecodeDraft(data []byte) (*Form, url.Values, error) {
	if len(data) > MaxDraftSize {
		return nil, nil, fmt.Errorf("draft over %d bytes", MaxDraftSize)
	}
	var d struct {
		Kind   string     `json:"kind"`
		Values url.Values `json:"values"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, nil, fmt.Errorf("decode draft: %w", err)
	}
	f, ok := Lookup(d.Kind)
	if !ok {
		return nil, nil, fmt.Errorf("decode draft: no form %q", d.Kind)
	}
	if err := checkSize(d.Values); err != nil {
		return nil, nil, fmt.Errorf("decode draft: %w", err)
	}
	if d.Values == nil {
		d.Values = url.Values{}
	}
	return f, d.Values, nil
}

// owns reports whether name is one of the form's values: a field's, or a
// group's NAME.I.COLUMN.
func (f *Form) owns(name string) bool {
	if name == CaseField {
		return true
	}
	head, _, _ := strings.Cut(name, ".")
	_, ok := f.Field(head)
	return ok
}

// Labels maps the labels that a request's kind-specific answers carry in
// the body (in English: "Preserve the following stored computer data") to
// the i18n ids of the questions they answer, so that a console showing a
// request can name each part in its reader's language. It is empty for
// the forms of other message types.
func (f *Form) Labels() map[string]string {
	labels := map[string]string{}
	for i := range f.Fields {
		if fd := &f.Fields[i]; fd.wire != "" {
			labels[fd.wire] = fd.Label
		}
	}
	return labels
}

// CaseID returns the case id the values name, as Parse checked it, or ""
// for a new case.
func CaseID(values url.Values) string { return norm(values.Get(CaseField)) }
