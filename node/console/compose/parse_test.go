package compose

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/casenode/casenode/protocol"
)

func mustParse(t *testing.T, f *Form, v url.Values) []byte {
	t.Helper()
	body, errs, err := f.Parse(v)
	if err != nil {
		t.Fatalf("%s: Parse: %v; field errors %v", f.Kind, err, errs)
	}
	return body
}

func TestFormsCoverEveryKind(t *testing.T) {
	want := []string{"lead"}
	for _, k := range protocol.RequestKinds() {
		want = append(want, string(k))
	}
	want = append(want, "reply", "status")
	var got []string
	for _, f := range Forms() {
		got = append(got, f.Kind)
		if g, ok := Lookup(f.Kind); !ok || g.Kind != f.Kind {
			t.Errorf("Lookup(%q) does not find its form", f.Kind)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("forms %v, want %v", got, want)
	}
	if _, ok := Lookup("contact.card"); ok {
		t.Error("Lookup found a form for an unknown kind")
	}
}

// Every form turns its filled example into a body the protocol accepts,
// and the body's values parse back into the same bytes.
func TestParseRoundTrip(t *testing.T) {
	for _, f := range Forms() {
		t.Run(f.Kind, func(t *testing.T) {
			body := mustParse(t, f, exampleValues(f))
			if err := protocol.ValidateBody(f.Type, body); err != nil {
				t.Fatalf("body refused by the protocol: %v", err)
			}
			v, err := f.Values(body)
			if err != nil {
				t.Fatalf("Values: %v", err)
			}
			again := mustParse(t, f, v)
			if !bytes.Equal(body, again) {
				t.Fatalf("round trip changed the body:\n%s\n%s", body, again)
			}
			g, err := FormFor(f.Type, body)
			if err != nil || g.Kind != f.Kind {
				t.Fatalf("FormFor = %v, %v; want the %s form", g, err, f.Kind)
			}
		})
	}
}

// Every answer of the example lands in the body, kind-specific questions
// under their labels.
func TestParseComposesKindQuestions(t *testing.T) {
	f, _ := Lookup(string(protocol.RequestPreservation))
	body := mustParse(t, f, exampleValues(f))
	b, err := protocol.DecodeBody(protocol.TypeRequest, body)
	if err != nil {
		t.Fatal(err)
	}
	r := b.(*protocol.Request)
	if r.Kind != protocol.RequestPreservation {
		t.Errorf("kind %s", r.Kind)
	}
	wantMeasure := "Preserve the following stored computer data: Answer to data_to_preserve (row 1),\nwritten on two lines."
	if r.MeasuresRequested[0] != wantMeasure {
		t.Errorf("first measure %q, want %q", r.MeasuresRequested[0], wantMeasure)
	}
	if !strings.Contains(r.Facts, "\n\nWhy preservation is necessary:\nAnswer to necessity") {
		t.Errorf("facts lack the necessity section:\n%s", r.Facts)
	}
	if got := r.Deadline.String(); got != "2026-03-15T23:59:59.000Z" {
		t.Errorf("deadline %s", got)
	}
	if len(r.Persons) != 2 || len(r.Persons[0].Identifiers) != 1 || len(r.Identifiers) != 1 {
		t.Errorf("persons %+v, identifiers %+v: want the first identifier on person 1, the second alone", r.Persons, r.Identifiers)
	}
}

// Leaving a required field blank gives ErrRequired on that field.
func TestParseRequired(t *testing.T) {
	for _, f := range Forms() {
		for i := range f.Fields {
			fd := &f.Fields[i]
			if fd.Required {
				v := exampleValues(f)
				for k := range v {
					if k == fd.Name || strings.HasPrefix(k, fd.Name+".") {
						delete(v, k)
					}
				}
				expectError(t, f, v, fd.Name, ErrRequired)
			}
			if fd.Input != InputGroup || len(fd.Columns) < 2 {
				continue
			}
			for _, c := range fd.Columns {
				if c.Required {
					v := exampleValues(f)
					v.Set(cellName(fd.Name, 1, c.Name), "  ")
					expectError(t, f, v, cellName(fd.Name, 1, c.Name), ErrRequired)
				}
			}
		}
	}
}

func expectError(t *testing.T, f *Form, v url.Values, field, id string) {
	t.Helper()
	body, errs, err := f.Parse(v)
	if !errors.Is(err, ErrInvalid) || body != nil {
		t.Errorf("%s: %s: Parse = %s, %v; want ErrInvalid", f.Kind, field, body, err)
		return
	}
	if errs[field] != id {
		t.Errorf("%s: field errors %v; want %s on %q", f.Kind, errs, id, field)
	}
}

// The protocol's errors come back on the form field that caused them, rows
// counted as the form shows them.
func TestParseMapsProtocolErrors(t *testing.T) {
	tests := []struct {
		kind, field, id string
		change          func(url.Values)
	}{
		{"mutual-legal-assistance", "legal_basis.1.instrument", ErrSingleLine, func(v url.Values) {
			delete(v, "legal_basis.0.instrument")
			delete(v, "legal_basis.0.article")
			v.Set("legal_basis.1.instrument", "ECOWAS\nConvention")
		}},
		{"extradition", "persons.1.nationality", ErrCountry, func(v url.Values) { v.Set("persons.1.nationality", "XX") }},
		{"lead", "organisations.1.country", ErrCountry, func(v url.Values) { v.Set("organisations.1.country", "sn") }},
		{"lead", "identifiers.0.label", ErrLabelOther, func(v url.Values) {
			v.Set("identifiers.0.kind", "other")
			delete(v, "identifiers.0.label")
		}},
		{"lead", "identifiers.1.value", ErrSingleLine, func(v url.Values) {
			v.Set("identifiers.1.owner", "o2")
			v.Set("identifiers.1.value", "two\nlines")
		}},
		{"lead", "handling_conditions", ErrH3Conditions, func(v url.Values) { delete(v, "handling_conditions") }},
		{"lead", "handling_conditions", ErrConditionsNoH3, func(v url.Values) { v.Set("handling", "H1") }},
		{"lead", "related_cases", ErrCaseID, func(v url.Values) { v.Set("related_cases", "gh-2025-0077\nNot A Case") }},
		{"expedited-preservation", "data_to_preserve", ErrControl, func(v url.Values) { v.Set("data_to_preserve", "logs\x01") }},
		{"expedited-preservation", "measures.1.text", ErrControl, func(v url.Values) { v.Set("measures.1.text", "logs\x02") }},
		{"stored-data-access", "facts", ErrControl, func(v url.Values) { v.Set("data_link", "x\x7f") }},
		{"real-time-traffic-data", "languages", ErrDuplicate, func(v url.Values) { v["languages"] = []string{"fr", "en", "fr"} }},
		{"reply", ReferenceField, ErrMessageID, func(v url.Values) { v.Set(ReferenceField, "not-a-message-id") }},
		{"reply", "documents.1", ErrDuplicate, func(v url.Values) { v.Set("documents.1.sha256", v.Get("documents.0.sha256")) }},
		{"reply", "documents.0.sha256", ErrSHA256, func(v url.Values) { v.Set("documents.0.sha256", "ABC") }},
		{"status", "reason", ErrReasonRequired, func(v url.Values) { delete(v, "reason") }},
		{"status", "reason", ErrReasonNotAllow, func(v url.Values) { v.Set("state", "received") }},
		// Checked by the form itself before the protocol.
		{"lead", "identifiers.0.owner", ErrOwner, func(v url.Values) { v.Set("identifiers.0.owner", "p7") }},
		{"lead", CaseField, ErrCaseID, func(v url.Values) { v.Set(CaseField, "SN 2026") }},
		{"lead", "urgency", ErrChoice, func(v url.Values) { v.Set("urgency", "yesterday") }},
		{"lead", "crime_types", ErrChoice, func(v url.Values) { v.Add("crime_types", "jaywalking") }},
		{"extradition", "deadline", ErrDate, func(v url.Values) { v.Set("deadline", "31/12/2026") }},
		{"lead", "summary", ErrUTF8, func(v url.Values) { v.Set("summary", "caf\xe9") }},
		{"lead", "related_cases", ErrUTF8, func(v url.Values) { v.Set("related_cases", "gh-\xff") }},
		{"lead", "title", ErrTooLong, func(v url.Values) { v.Set("title", strings.Repeat("é", 201)) }},
		{"mutual-legal-assistance", "legal_basis", ErrTooMany, func(v url.Values) {
			for i := range 21 {
				v.Set(cellName("legal_basis", i, "instrument"), "reciprocity")
			}
		}},
	}
	for _, tt := range tests {
		f, _ := Lookup(tt.kind)
		v := exampleValues(f)
		tt.change(v)
		expectError(t, f, v, tt.field, tt.id)
	}
}

func TestParseTooLarge(t *testing.T) {
	f, _ := Lookup("reply")
	v := exampleValues(f)
	v.Set("text", strings.Repeat("a", MaxValuesSize))
	expectError(t, f, v, FormError, ErrTooLarge)
}

func TestReplyPrefill(t *testing.T) {
	for _, kind := range []string{"reply", "status"} {
		f, _ := Lookup(kind)
		v := ReplyPrefill(protocol.TypeRequest, "gh-2026-0007", exampleRef)
		if CaseID(v) != "gh-2026-0007" {
			t.Errorf("case %q", CaseID(v))
		}
		v.Set("text", "Done.")
		v.Set("state", "executed")
		body := mustParse(t, f, v)
		if !bytes.Contains(body, []byte(`"`+exampleRef+`"`)) {
			t.Errorf("%s body %s does not refer to %s", kind, body, exampleRef)
		}
	}
	if v := ReplyPrefill(protocol.TypeReceipt, "c", exampleRef); v != nil {
		t.Errorf("a receipt is answered with %v", v)
	}
}

func TestDraftRoundTrip(t *testing.T) {
	f, _ := Lookup(string(protocol.RequestJIT))
	v := exampleValues(f)
	v.Set("csrf", "secret-token")
	v.Set(AddRowField, "persons")
	g, got, err := DecodeDraft(f.EncodeDraft(v))
	if err != nil || g.Kind != f.Kind {
		t.Fatalf("DecodeDraft = %v, %v", g, err)
	}
	if got.Has("csrf") || got.Has(AddRowField) {
		t.Errorf("the draft kept the core's values: %v", got)
	}
	delete(v, "csrf")
	delete(v, AddRowField)
	if got.Encode() != v.Encode() {
		t.Errorf("draft values changed:\n%s\n%s", got.Encode(), v.Encode())
	}
	for _, bad := range []string{`{"kind":"nope","values":{}}`, `{"kind":`, strings.Repeat(" ", MaxDraftSize+1)} {
		if _, _, err := DecodeDraft([]byte(bad)); err == nil {
			t.Errorf("DecodeDraft accepted %.40q", bad)
		}
	}
}

// A free measure that starts like a question's answer stays where it was.
func TestValuesKeepsMeasureOrder(t *testing.T) {
	f, _ := Lookup(string(protocol.RequestAssets))
	v := exampleValues(f)
	delete(v, "disposal")
	v.Set("measures.0.text", "Disposal and return of the assets: to the victims")
	v.Set("measures.1.text", "Assets: also the vehicles")
	body := mustParse(t, f, v)
	back, err := f.Values(body)
	if err != nil {
		t.Fatal(err)
	}
	if again := mustParse(t, f, back); !bytes.Equal(body, again) {
		t.Fatalf("round trip changed the body:\n%s\n%s", body, again)
	}
	if back.Has("disposal") || back.Get("measures.0.text") != "Disposal and return of the assets: to the victims" {
		t.Errorf("free measures %q, %q", back.Get("measures.0.text"), back.Get("measures.1.text"))
	}
}

func TestValuesRefusesOtherKind(t *testing.T) {
	mla, _ := Lookup(string(protocol.RequestMLA))
	body := mustParse(t, mla, exampleValues(mla))
	ext, _ := Lookup(string(protocol.RequestExtradition))
	if _, err := ext.Values(body); err == nil {
		t.Error("the extradition form took a mutual legal assistance request")
	}
}

// FuzzParse feeds arbitrary form values to every form: Parse never panics,
// what it accepts the protocol accepts, and the values of an accepted body
// parse back into the same body.
func FuzzParse(f *testing.F) {
	for _, form := range Forms() {
		f.Add(exampleValues(form).Encode())
	}
	f.Add("persons.999.name=x&identifiers.0.owner=p1000&identifiers.0.kind=phone&identifiers.0.value=1")
	f.Add("legal_basis.01.instrument=x&measures.-1.text=y&rows.persons=99999999999")
	f.Fuzz(func(t *testing.T, query string) {
		if len(query) > 64<<10 {
			return
		}
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		for _, form := range Forms() {
			body, errs, err := form.Parse(v)
			if err != nil {
				if len(errs) == 0 {
					t.Fatalf("%s: error %v without field errors", form.Kind, err)
				}
				continue
			}
			if err := protocol.ValidateBody(form.Type, body); err != nil {
				t.Fatalf("%s: accepted a body the protocol refuses: %v", form.Kind, err)
			}
			back, err := form.Values(body)
			if err != nil {
				t.Fatalf("%s: Values refused an accepted body: %v", form.Kind, err)
			}
			again, errs, err := form.Parse(back)
			if err != nil || !bytes.Equal(body, again) {
				t.Fatalf("%s: round trip: %v %v\n%s\n%s", form.Kind, err, errs, body, again)
			}
			view := &View{Form: form, Values: v, Errors: errs}
			view.Sections()
		}
	})
}

func TestLabels(t *testing.T) {
	f, _ := Lookup(string(protocol.RequestPreservation))
	if got := f.Labels()["Preserve the following stored computer data"]; got != "compose.data_to_preserve" {
		t.Errorf("label of the data to preserve: %q", got)
	}
	if g, _ := Lookup("reply"); len(g.Labels()) != 0 {
		t.Errorf("the reply form has labels %v", g.Labels())
	}
}

// Errors the protocol reports that no form input reaches in the tests above
// still get their own message.
func TestRuleID(t *testing.T) {
	for rule, want := range map[string]string{
		"case.request body is 4194400 bytes, over the limit of 4194304": ErrTooLarge,
		"must have at least 2 entries (has 1)":                          ErrRequired,
		"\"wo1\" is not an ISO 639-1 language code":                     ErrLanguage,
		"\"x\" is not a calendar date written YYYY-MM-DD":               ErrDate,
		"must be valid UTF-8":                                           ErrUTF8,
		"something new":                                                 ErrInvalidValue,
	} {
		if got := ruleID(rule); got != want {
			t.Errorf("ruleID(%q) = %s, want %s", rule, got, want)
		}
	}
}

// The protocol's own examples, written by hand, fill the forms. A lead, a
// reply and a status come back unchanged; a request keeps its facts and its
// measures in the free fields, and the form asks for its guided questions.
func TestValuesOfProtocolExamples(t *testing.T) {
	for _, typ := range []protocol.MessageType{protocol.TypeLead, protocol.TypeReply, protocol.TypeStatus} {
		body := protocol.Example(typ)
		f, err := FormFor(typ, body)
		if err != nil {
			t.Fatalf("%s: FormFor: %v", typ, err)
		}
		v, err := f.Values(body)
		if err != nil {
			t.Fatalf("%s: Values: %v", typ, err)
		}
		orig, _ := protocol.DecodeBody(typ, body)
		want, _ := protocol.Marshal(orig)
		if again := mustParse(t, f, v); !bytes.Equal(want, again) {
			t.Errorf("%s: the example came back changed:\n%s\n%s", typ, want, again)
		}
	}
	body := protocol.Example(protocol.TypeRequest)
	f, _ := FormFor(protocol.TypeRequest, body)
	v, err := f.Values(body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.Get("facts"), "Between 28 April") || !strings.HasPrefix(v.Get("measures.2.text"), "Do not inform") {
		t.Errorf("facts %.20q, third measure %.20q", v.Get("facts"), v.Get("measures.2.text"))
	}
	_, errs, _ := f.Parse(v)
	for _, q := range []string{"offences", "data_link", "necessity", "data_to_preserve", "custodian", "followup"} {
		if errs[q] != ErrRequired {
			t.Errorf("errors %v: want %s required", errs, q)
		}
	}
	if len(errs) != 6 {
		t.Errorf("errors %v: want the six guided questions only", errs)
	}
}
