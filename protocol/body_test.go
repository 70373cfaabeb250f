package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestExamplesValidate(t *testing.T) {
	for _, mt := range MessageTypes() {
		t.Run(string(mt), func(t *testing.T) {
			data := Example(mt)
			if data == nil {
				t.Fatal("no example")
			}
			if !bytes.Equal(data, Example(mt)) {
				t.Error("example is not deterministic")
			}
			b, err := DecodeBody(mt, data)
			if err != nil {
				t.Fatalf("example does not validate: %v", err)
			}
			if b.Type() != mt {
				t.Errorf("Type() = %q, want %q", b.Type(), mt)
			}
			if mt.Summary() == "" {
				t.Error("no summary")
			}
		})
	}
	if Example("case.unknown") != nil {
		t.Error("Example of an unknown type is not nil")
	}
}

func TestDecodeBodyRefuses(t *testing.T) {
	lead := string(Example(TypeLead))
	tests := []struct {
		name string
		t    MessageType
		data string
		want string
	}{
		{"unknown type", "case.memo", `{}`, `unknown message type "case.memo": must be one of case.lead, case.request, case.reply, case.status, contact.card, receipt`},
		{"unknown field", TypeLead, strings.Replace(lead, `"v": 1,`, `"v": 1, "colour": "red",`, 1), `decode case.lead body: json: unknown field "colour"`},
		{"unknown nested field", TypeLead, strings.Replace(lead, `"name": "Lamine Sarr",`, `"name": "Lamine Sarr", "alias": "Papis",`, 1), `decode case.lead body: json: unknown field "alias"`},
		{"trailing data", TypeLead, lead + `{}`, `decode case.lead body: trailing data after the JSON value`},
		{"not JSON", TypeStatus, `v=1`, `decode case.status body: invalid character 'v' looking for beginning of value`},
		{"null", TypeStatus, `null`, `status.v: unsupported version 0 (this casenode reads version 1)`},
		{"wrong JSON type", TypeLead, strings.Replace(lead, `"information_evaluation": 2`, `"information_evaluation": "2"`, 1), `decode case.lead body: json: cannot unmarshal string into Go struct field Lead.information_evaluation of type protocol.InformationEvaluation`},
		{"duplicate key", TypeLead, strings.Replace(lead, `"handling": "H2",`, `"handling": "H2", "handling": "H0",`, 1), `decode case.lead body: duplicate key "handling"`},
		{"duplicate nested key", TypeLead, strings.Replace(lead, `"role": "suspect",`, `"role": "suspect", "role": "victim",`, 1), `decode case.lead body: duplicate key "role"`},
		{"key in other case", TypeLead, strings.Replace(lead, `"title"`, `"Title"`, 1), `decode case.lead body: key "Title": keys are lowercase ASCII letters, digits and '_', spelled exactly as the field names`},
		{"key folding to a field", TypeLead, strings.Replace(lead, `"summary"`, `"ſummary"`, 1), `decode case.lead body: key "ſummary": keys are lowercase ASCII letters, digits and '_', spelled exactly as the field names`},
		{"invalid UTF-8", TypeLead, strings.Replace(lead, `Lamine`, "Lam\xffine", 1), `decode case.lead body: not valid UTF-8`},
		{"bad time", TypeRequest, strings.Replace(string(Example(TypeRequest)), `"2025-05-27T17:00:00.000Z"`, `"2025-05-27T17:00:00Z"`, 1), `decode case.request body: time "2025-05-27T17:00:00Z": must be a string like "2006-01-02T15:04:05.000Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateBody(tt.t, []byte(tt.data))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestDecodeBodyOversized(t *testing.T) {
	// Not JSON at all: the size is refused before any parsing.
	big := bytes.Repeat([]byte{'{'}, MaxBodySize+1)
	err := ValidateBody(TypeLead, big)
	want := "case.lead body is 4194305 bytes, over the limit of 4194304"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	err = ValidateBody(TypeReceipt, bytes.Repeat([]byte{'{'}, MaxReceiptSize+1))
	want = "receipt body is 4097 bytes, over the limit of 4096"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	// A valid body padded with white space to exactly the limit passes.
	lead := Example(TypeLead)
	padded := append(lead, bytes.Repeat([]byte{' '}, MaxBodySize-len(lead))...)
	if err := ValidateBody(TypeLead, padded); err != nil {
		t.Errorf("body of exactly MaxBodySize: %v", err)
	}
}

// rule is one validation rule's test: body breaks it (or, with want "",
// breaks none).
type rule struct {
	name string
	body Body
	want string
}

// checkRules asserts each body's exact error, both from Validate and, when
// the body can be encoded, from ValidateBody on its encoding.
func checkRules(t *testing.T, rules []rule) {
	t.Helper()
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			if got := errString(r.body.Validate()); got != r.want {
				t.Errorf("Validate: got error %q\nwant %q", got, r.want)
			}
			data, err := Marshal(r.body)
			if err != nil {
				return // a zero Time does not encode; Validate was checked
			}
			if got := errString(ValidateBody(r.body.Type(), data)); got != r.want {
				t.Errorf("ValidateBody: got error %q\nwant %q", got, r.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// edit decodes the example body of type T, applies f to it and returns it.
func edit[T any, P interface {
	*T
	Body
}](t *testing.T, f func(P)) Body {
	t.Helper()
	p := P(new(T))
	if err := json.Unmarshal(Example(p.Type()), p); err != nil {
		t.Fatal(err)
	}
	f(p)
	return p
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

func TestFieldPathInDecodeError(t *testing.T) {
	var e *json.UnmarshalTypeError
	err := ValidateBody(TypeLead, []byte(strings.Replace(string(Example(TypeLead)), `"role": "suspect"`, `"role": 7`, 1)))
	if !errors.As(err, &e) || e.Field != "persons.role" {
		t.Errorf("got %v, want a type error naming persons.role", err)
	}
}

func FuzzValidateBody(f *testing.F) {
	for i, mt := range MessageTypes() {
		f.Add(uint8(i), Example(mt))
		var compact bytes.Buffer
		if err := json.Compact(&compact, Example(mt)); err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), compact.Bytes())
	}
	f.Add(uint8(0), []byte(`{"v":1}`))
	f.Add(uint8(0), []byte(`null`))
	f.Add(uint8(1), []byte(`{"v":1,"kind":"extradition","legal_basis":[],"facts":"x"}`))
	f.Add(uint8(2), []byte(`{"v":1,"in_reply_to":"0196ed27-54e0-7a3c-8f2d-41b6e07c9e25","text":"ok","documents":[{"title":"a","sha256":"00"}]}`))
	f.Add(uint8(3), []byte(`{"v":1,"about":"0196ed27-54e0-7a3c-8f2d-41b6e07c9e25","state":"refused"}`))
	f.Add(uint8(3), []byte(`{"v":1,"V":2,"about":"0196ed27-54e0-7a3c-8f2d-41b6e07c9e25","state":"received"}`))
	f.Add(uint8(4), []byte(`{"v":1,"agency":"sn-pj-dakar","country":"SN","updated":"2025-04-02T11:00:00.000Z","contacts":[{"role":"secretariat","name":"x","languages":["fr"]}]}`))
	f.Add(uint8(5), []byte(`{"v":1,"kind":"rejected","reason":"conflict"}`))
	f.Fuzz(func(t *testing.T, i uint8, data []byte) {
		mt := MessageTypes()[int(i)%len(MessageTypes())]
		b, err := DecodeBody(mt, data)
		if err != nil {
			if ValidateBody(mt, data) == nil {
				t.Fatal("DecodeBody and ValidateBody disagree")
			}
			return
		}
		out, err := Marshal(b)
		if err != nil {
			t.Fatalf("valid %s body does not encode: %v", mt, err)
		}
		b2, err := DecodeBody(mt, out)
		if err != nil {
			t.Fatalf("encoding of a valid %s body does not validate: %v\n%s", mt, err, out)
		}
		again, err := Marshal(b2)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("encoding is not stable: %v\n%s\n%s", err, out, again)
		}
	})
}
