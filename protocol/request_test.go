package protocol

import (
	"strings"
	"testing"
)

func TestRequestRules(t *testing.T) {
	type R = *Request
	checkRules(t, []rule{
		{"example", edit(t, func(r R) {}), ""},
		{"no deadline", edit(t, func(r R) { r.Deadline = Time{} }), ""},
		{"version", edit(t, func(r R) { r.Version = 0 }), "request.v: unsupported version 0 (this casenode reads version 1)"},
		{"kind", edit(t, func(r R) { r.Kind = "letter-rogatory" }), `request.kind: must be one of mutual-legal-assistance, extradition, transfer-of-proceedings, videoconference-hearing, joint-investigation-team, controlled-delivery, asset-freezing-confiscation, expedited-preservation, stored-data-access, real-time-traffic-data (is "letter-rogatory")`},
		{"legal basis none", edit(t, func(r R) { r.LegalBasis = nil }), "request.legal_basis: must have at least one entry"},
		{"legal basis 21", edit(t, func(r R) { r.LegalBasis = make([]LegalBasis, 21) }), "request.legal_basis: must have at most 20 entries (has 21)"},
		{"instrument", edit(t, func(r R) { r.LegalBasis[1].Instrument = "" }), "request.legal_basis[1].instrument: must not be empty"},
		{"article", edit(t, func(r R) { r.LegalBasis[0].Article = repeat("x", 101) }), "request.legal_basis[0].article: must be at most 100 characters (is 101)"},
		{"facts", edit(t, func(r R) { r.Facts = "" }), "request.facts: must not be empty"},
		{"facts long", edit(t, func(r R) { r.Facts = repeat("x", 100001) }), "request.facts: must be at most 100000 characters (is 100001)"},
		{"measures none", edit(t, func(r R) { r.MeasuresRequested = []string{} }), "request.measures_requested: must have at least one entry"},
		{"measure empty", edit(t, func(r R) { r.MeasuresRequested[2] = "" }), "request.measures_requested[2]: must not be empty"},
		{"measure long", edit(t, func(r R) { r.MeasuresRequested[0] = repeat("x", 2001) }), "request.measures_requested[0]: must be at most 2000 characters (is 2001)"},
		{"measures 51", edit(t, func(r R) { r.MeasuresRequested = strings.Split(repeat("m,", 50)+"m", ",") }), "request.measures_requested: must have at most 50 entries (has 51)"},
		{"urgency", edit(t, func(r R) { r.Urgency = "" }), `request.urgency: must be one of routine, urgent, immediate (is "")`},
		{"languages none", edit(t, func(r R) { r.Languages = nil }), "request.languages: must have at least one entry"},
		{"person", edit(t, func(r R) { r.Persons[0].Nationality = "GHA" }), `request.persons[0].nationality: "GHA" is not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. SN, GH, CD)`},
		{"identifier", edit(t, func(r R) { r.Identifiers[1].Value = "a\tb" }), "request.identifiers[1].value: must be a single line (no newline or tab)"},
	})
	if data, _ := Marshal(edit(t, func(r R) { r.Deadline = Time{} })); strings.Contains(string(data), "deadline") {
		t.Errorf("an absent deadline is encoded: %s", data)
	}
}
