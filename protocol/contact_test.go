package protocol

import (
	"testing"
	"time"
)

func TestContactCardRules(t *testing.T) {
	type C = *ContactCard
	checkRules(t, []rule{
		{"example", edit(t, func(c C) {}), ""},
		{"version", edit(t, func(c C) { c.Version = 2 }), "contact_card.v: unsupported version 2 (this casenode reads version 1)"},
		{"agency", edit(t, func(c C) { c.Agency = "SN-PJ" }), `contact_card.agency: invalid agency id "SN-PJ": must be ` + IDRule},
		{"country", edit(t, func(c C) { c.Country = "Senegal" }), `contact_card.country: "Senegal" is not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. SN, GH, CD)`},
		{"updated", edit(t, func(c C) { c.Updated = Time{} }), "contact_card.updated: must be set"},
		{"contacts none", edit(t, func(c C) { c.Contacts = nil }), "contact_card.contacts: must have at least one entry"},
		{"contacts 51", edit(t, func(c C) { c.Contacts = make([]Contact, 51) }), "contact_card.contacts: must have at most 50 entries (has 51)"},
		{"role", edit(t, func(c C) { c.Contacts[0].Role = "judge" }), `contact_card.contacts[0].role: must be one of focal-point, central-authority, prosecutor, liaison-magistrate, secretariat (is "judge")`},
		{"name", edit(t, func(c C) { c.Contacts[1].Name = "" }), "contact_card.contacts[1].name: must not be empty"},
		{"title", edit(t, func(c C) { c.Contacts[1].Title = repeat("x", 201) }), "contact_card.contacts[1].title: must be at most 200 characters (is 201)"},
		{"no title", edit(t, func(c C) { c.Contacts[1].Title = "" }), ""},
		{"languages", edit(t, func(c C) { c.Contacts[0].Languages = nil }), "contact_card.contacts[0].languages: must have at least one entry"},
		{"no phone nor email", edit(t, func(c C) { c.Contacts[1].Email = "" }), "contact_card.contacts[1]: must have a phone, an email or both"},
		{"phone only", edit(t, func(c C) { c.Contacts[0].Email = "" }), ""},
		{"phone 6 digits", edit(t, func(c C) { c.Contacts[0].Phone = "+123456" }), ""},
		{"phone 15 digits", edit(t, func(c C) { c.Contacts[0].Phone = "+123456789012345" }), ""},
		{"phone spaces", edit(t, func(c C) { c.Contacts[0].Phone = "+221 33 849 00 00" }), `contact_card.contacts[0].phone: "+221 33 849 00 00" must be '+' then 6 to 15 digits, no spaces (E.164, e.g. +221338490000)`},
		{"phone 5 digits", edit(t, func(c C) { c.Contacts[0].Phone = "+12345" }), `contact_card.contacts[0].phone: "+12345" must be '+' then 6 to 15 digits, no spaces (E.164, e.g. +221338490000)`},
		{"phone 16 digits", edit(t, func(c C) { c.Contacts[0].Phone = "+1234567890123456" }), `contact_card.contacts[0].phone: "+1234567890123456" must be '+' then 6 to 15 digits, no spaces (E.164, e.g. +221338490000)`},
		{"phone without plus", edit(t, func(c C) { c.Contacts[0].Phone = "00221338490000" }), `contact_card.contacts[0].phone: "00221338490000" must be '+' then 6 to 15 digits, no spaces (E.164, e.g. +221338490000)`},
		{"availability", edit(t, func(c C) { c.Contacts[0].Availability = repeat("x", 501) }), "contact_card.contacts[0].availability: must be at most 500 characters (is 501)"},
	})
	for _, bad := range []string{"a@b", "@x.example", "a@", "a b@x.example", "a@-x.example", "a@x-.example", "a..b@x.example", ".a@x.example", "a@x..example", "é@x.example", "a@x.example.", "a@b@x.example", repeat("a", 65) + "@x.example", `"a"@x.example`} {
		c := edit(t, func(c C) { c.Contacts[1].Email = bad })
		want := `contact_card.contacts[1].email: ` + quote(bad) + ` is not an email address (local@domain, ASCII, e.g. pj@justice.example)`
		if got := errString(c.Validate()); got != want {
			t.Errorf("email %q: got %q, want %q", bad, got, want)
		}
	}
	for _, good := range []string{"a@x.example", "first.last+mla@justice.gov.sn", "O'Brien@x-y.example", "x@192.example"} {
		if err := edit(t, func(c C) { c.Contacts[1].Email = good }).Validate(); err != nil {
			t.Errorf("email %q: %v", good, err)
		}
	}
}

func TestContactCardSupersedes(t *testing.T) {
	old := edit(t, func(c *ContactCard) {}).(*ContactCard)
	newer := edit(t, func(c *ContactCard) { c.Updated = NewTime(c.Updated.Add(time.Millisecond)) }).(*ContactCard)
	same := edit(t, func(c *ContactCard) {}).(*ContactCard)
	other := edit(t, func(c *ContactCard) { c.Agency, c.Updated = "gh-ag-accra", newer.Updated }).(*ContactCard)
	tests := []struct {
		name     string
		c, old   *ContactCard
		want     bool
		wantBack bool
	}{
		{"newer", newer, old, true, false},
		{"same time", same, old, false, false},
		{"other agency", other, old, false, false},
	}
	for _, tt := range tests {
		if got := tt.c.Supersedes(tt.old); got != tt.want {
			t.Errorf("%s: Supersedes = %v, want %v", tt.name, got, tt.want)
		}
		if got := tt.old.Supersedes(tt.c); got != tt.wantBack {
			t.Errorf("%s: reverse Supersedes = %v, want %v", tt.name, got, tt.wantBack)
		}
	}
	if !old.Supersedes(nil) {
		t.Error("a card does not supersede no card")
	}
}
