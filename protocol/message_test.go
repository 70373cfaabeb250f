package protocol

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// agencies returns n valid agency ids, sorted.
func agencies(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("ag-%03d", i)
	}
	return out
}

func TestValidateRecipients(t *testing.T) {
	cases := []struct {
		name string
		to   []string
		want string // "" for valid
	}{
		{"one", []string{"gh-ag-accra"}, ""},
		{"sorted", []string{"gh-ag-accra", "ng-ag-abuja"}, ""},
		{"the limit", agencies(MaxRecipients), ""},
		{"over the limit", agencies(MaxRecipients + 1), "names 101 recipients, over the limit of 100"},
		{"none", nil, "must name at least one recipient"},
		{"duplicate", []string{"gh-ag-accra", "gh-ag-accra"}, `must be sorted and unique ("gh-ag-accra" after "gh-ag-accra")`},
		{"duplicate last", []string{"bf-pj", "gh-ag-accra", "gh-ag-accra"}, `must be sorted and unique ("gh-ag-accra" after "gh-ag-accra")`},
		{"unsorted", []string{"ng-ag-abuja", "gh-ag-accra"}, "must be sorted and unique"},
		{"the sender", []string{"gh-ag-accra", "sn-pj-dakar"}, `names the sender "sn-pj-dakar"`},
		{"invalid id", []string{"Accra"}, "invalid agency id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateRecipients("sn-pj-dakar", c.to)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}

func TestSortRecipients(t *testing.T) {
	got := SortRecipients([]string{"ng-ag-abuja", "gh-ag-accra", "ng-ag-abuja", "bf-pj", "gh-ag-accra"})
	if want := []string{"bf-pj", "gh-ag-accra", "ng-ag-abuja"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := SortRecipients(nil); len(got) != 0 {
		t.Fatalf("nil: got %v", got)
	}
}

// TestInnerBinds changes one bound field of the signed body at a time and
// expects Binds to name it: the signed body and the routing outside must
// agree on every element.
func TestInnerBinds(t *testing.T) {
	h := testHeader()
	h.To = []string{"bf-pj", "gh-ag-accra", "ng-ag-abuja"}
	exp := NewTime(h.Created.Add(time.Hour))
	h.Expires = &exp
	bound := func() *Inner {
		e := *h.Expires
		return &Inner{Body: []byte(`{}`), Case: h.Case, Created: h.Created, Expires: &e, From: h.From, ID: h.ID,
			MsgType: h.MsgType, Net: h.Net, To: slices.Clone(h.To), V: h.V}
	}
	if f := bound().Binds(h); f != "" {
		t.Fatalf("the same fields differ in %q", f)
	}
	later := NewTime(h.Created.Add(2 * time.Hour))
	cases := map[string]func(in *Inner){
		"id":                  func(in *Inner) { in.ID = NewMessageID(h.Created.Add(time.Second)) },
		"net":                 func(in *Inner) { in.Net = "ecowas" },
		"from":                func(in *Inner) { in.From = "ml-pj-bamako" },
		"to: first":           func(in *Inner) { in.To[0] = "bf-pj-ouaga" },
		"to: last":            func(in *Inner) { in.To[2] = "ne-mj-niamey" },
		"to: one more":        func(in *Inner) { in.To = append(in.To, "tg-pj") },
		"to: one less":        func(in *Inner) { in.To = in.To[:2] },
		"msgtype":             func(in *Inner) { in.MsgType = TypeRequest },
		"case":                func(in *Inner) { in.Case = "sn-2026-0143" },
		"created":             func(in *Inner) { in.Created = later },
		"expires: other time": func(in *Inner) { in.Expires = &later },
		"expires: none":       func(in *Inner) { in.Expires = nil },
	}
	for name, mod := range cases {
		in := bound()
		mod(in)
		want, _, _ := strings.Cut(name, ":")
		if got := in.Binds(h); got != want {
			t.Errorf("%s: Binds says %q, want %q", name, got, want)
		}
	}
	// A header without expiry, and a body that has one.
	noExp := *h
	noExp.Expires = nil
	if got := bound().Binds(&noExp); got != "expires" {
		t.Errorf("expiry only in the body: Binds says %q, want \"expires\"", got)
	}
}
