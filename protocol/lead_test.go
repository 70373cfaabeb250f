package protocol

import (
	"strings"
	"testing"
)

func TestLeadRules(t *testing.T) {
	const (
		crimes    = "participation-in-organized-criminal-group, obstruction-of-justice, money-laundering, corruption, trafficking-in-persons, smuggling-of-migrants, trafficking-in-firearms, cybercrime, fraudulent-medicine, drug-trafficking, counterfeiting, piracy, trafficking-in-cultural-property, wildlife-and-forest-crime"
		idKinds   = "phone, email, iban, passport, vessel-imo, crypto-address, vehicle-plate, ip-address, url, other"
		countryOf = ` is not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. SN, GH, CD)`
	)
	type L = *Lead
	checkRules(t, []rule{
		{"example", edit(t, func(l L) {}), ""},
		{"minimal", edit(t, func(l L) {
			l.Persons, l.Organisations, l.Identifiers, l.Languages, l.RelatedCases = nil, nil, nil, nil, nil
		}), ""},
		{"version", edit(t, func(l L) { l.Version = 2 }), "lead.v: unsupported version 2 (this casenode reads version 1)"},
		{"title empty", edit(t, func(l L) { l.Title = "" }), "lead.title: must not be empty"},
		{"title blank", edit(t, func(l L) { l.Title = "  " }), "lead.title: must not be only white space"},
		{"title two lines", edit(t, func(l L) { l.Title = "a\nb" }), "lead.title: must be a single line (no newline or tab)"},
		{"title control", edit(t, func(l L) { l.Title = "a\x07" }), "lead.title: must not contain control characters (found U+0007)"},
		{"title 200", edit(t, func(l L) { l.Title = repeat("é", 200) }), ""},
		{"title 201", edit(t, func(l L) { l.Title = repeat("é", 201) }), "lead.title: must be at most 200 characters (is 201)"},
		{"summary empty", edit(t, func(l L) { l.Summary = "" }), "lead.summary: must not be empty"},
		{"summary long", edit(t, func(l L) { l.Summary = repeat("a", 20001) }), "lead.summary: must be at most 20000 characters (is 20001)"},
		{"crime types none", edit(t, func(l L) { l.CrimeTypes = nil }), "lead.crime_types: must have at least one entry"},
		{"crime type unknown", edit(t, func(l L) { l.CrimeTypes[1] = "fraud" }), `lead.crime_types[1]: must be one of ` + crimes + ` (is "fraud")`},
		{"crime type twice", edit(t, func(l L) { l.CrimeTypes[2] = l.CrimeTypes[0] }), "lead.crime_types[2]: duplicate of lead.crime_types[0]"},
		{"crime types all", edit(t, func(l L) { l.CrimeTypes = CrimeTypes() }), ""},
		{"crime types 15", edit(t, func(l L) { l.CrimeTypes = append(CrimeTypes(), CrimePiracy) }), "lead.crime_types: must have at most 14 entries (has 15)"},
		{"person name", edit(t, func(l L) { l.Persons[2].Name = "" }), "lead.persons[2].name: must not be empty"},
		{"person role", edit(t, func(l L) { l.Persons[0].Role = "" }), `lead.persons[0].role: must be one of suspect, accused, convicted, victim, witness, associate, other (is "")`},
		{"person nationality", edit(t, func(l L) { l.Persons[1].Nationality = "XX" }), `lead.persons[1].nationality: "XX"` + countryOf},
		{"person date of birth", edit(t, func(l L) { l.Persons[0].DateOfBirth = "1986-02-30" }), `lead.persons[0].date_of_birth: "1986-02-30" is not a calendar date written YYYY-MM-DD`},
		{"person date of birth format", edit(t, func(l L) { l.Persons[0].DateOfBirth = "19/07/1986" }), `lead.persons[0].date_of_birth: "19/07/1986" is not a calendar date written YYYY-MM-DD`},
		{"person identifier kind", edit(t, func(l L) { l.Persons[0].Identifiers[1].Kind = "ssn" }), `lead.persons[0].identifiers[1].kind: must be one of ` + idKinds + ` (is "ssn")`},
		{"person identifier value", edit(t, func(l L) { l.Persons[0].Identifiers[0].Value = "" }), "lead.persons[0].identifiers[0].value: must not be empty"},
		{"person identifiers 21", edit(t, func(l L) { l.Persons[0].Identifiers = make([]Identifier, 21) }), "lead.persons[0].identifiers: must have at most 20 entries (has 21)"},
		{"persons 101", edit(t, func(l L) { l.Persons = make([]Person, 101) }), "lead.persons: must have at most 100 entries (has 101)"},
		{"organisation name", edit(t, func(l L) { l.Organisations[0].Name = "" }), "lead.organisations[0].name: must not be empty"},
		{"organisation country", edit(t, func(l L) { l.Organisations[0].Country = "" }), `lead.organisations[0].country: ""` + countryOf},
		{"organisation identifier", edit(t, func(l L) { l.Organisations[0].Identifiers[0].Label = "" }), "lead.organisations[0].identifiers[0].label: must say what the value is when kind is other"},
		{"organisations 101", edit(t, func(l L) { l.Organisations = make([]Organisation, 101) }), "lead.organisations: must have at most 100 entries (has 101)"},
		{"identifier label long", edit(t, func(l L) { l.Identifiers[1].Label = repeat("x", 101) }), "lead.identifiers[1].label: must be at most 100 characters (is 101)"},
		{"identifier country", edit(t, func(l L) { l.Identifiers[0].Country = "sn" }), `lead.identifiers[0].country: "sn"` + countryOf},
		{"identifier value long", edit(t, func(l L) { l.Identifiers[0].Value = repeat("9", 201) }), "lead.identifiers[0].value: must be at most 200 characters (is 201)"},
		{"identifiers 501", edit(t, func(l L) { l.Identifiers = make([]Identifier, 501) }), "lead.identifiers: must have at most 500 entries (has 501)"},
		{"handling", edit(t, func(l L) { l.Handling = "H4" }), `lead.handling: must be one of H0, H1, H2, H3 (is "H4")`},
		{"handling H3 without conditions", edit(t, func(l L) { l.Handling = HandlingH3 }), "lead.handling_conditions: must not be empty (required with handling H3)"},
		{"handling H3", edit(t, func(l L) { l.Handling, l.HandlingConditions = HandlingH3, "May be shared with customs only." }), ""},
		{"handling conditions without H3", edit(t, func(l L) { l.HandlingConditions = "None." }), "lead.handling_conditions: must be absent unless handling is H3"},
		{"handling conditions long", edit(t, func(l L) { l.Handling, l.HandlingConditions = HandlingH3, repeat("x", 2001) }), "lead.handling_conditions: must be at most 2000 characters (is 2001) (required with handling H3)"},
		{"source evaluation", edit(t, func(l L) { l.SourceEvaluation = "D" }), `lead.source_evaluation: must be one of A, B, C, X (is "D")`},
		{"information evaluation 0", edit(t, func(l L) { l.InformationEvaluation = 0 }), "lead.information_evaluation: must be 1, 2, 3 or 4 (is 0)"},
		{"information evaluation 5", edit(t, func(l L) { l.InformationEvaluation = 5 }), "lead.information_evaluation: must be 1, 2, 3 or 4 (is 5)"},
		{"urgency", edit(t, func(l L) { l.Urgency = "asap" }), `lead.urgency: must be one of routine, urgent, immediate (is "asap")`},
		{"language case", edit(t, func(l L) { l.Languages[0] = "EN" }), `lead.languages[0]: "EN" is not an ISO 639-1 language code (two lowercase letters, e.g. fr, en, pt)`},
		{"language three letters", edit(t, func(l L) { l.Languages[1] = "fra" }), `lead.languages[1]: "fra" is not an ISO 639-1 language code (two lowercase letters, e.g. fr, en, pt)`},
		{"language twice", edit(t, func(l L) { l.Languages[1] = "fr" }), "lead.languages[1]: duplicate of lead.languages[0]"},
		{"languages 11", edit(t, func(l L) { l.Languages = make([]string, 11) }), "lead.languages: must have at most 10 entries (has 11)"},
		{"related case", edit(t, func(l L) { l.RelatedCases[0] = "SN 2025/142" }), `lead.related_cases[0]: invalid case id "SN 2025/142": must be ` + CaseIDRule},
		{"related case twice", edit(t, func(l L) { l.RelatedCases = append(l.RelatedCases, l.RelatedCases[0]) }), "lead.related_cases[1]: duplicate of lead.related_cases[0]"},
		{"related cases 51", edit(t, func(l L) { l.RelatedCases = make([]string, 51) }), "lead.related_cases: must have at most 50 entries (has 51)"},
	})
}

// TestCaseIDs holds the case id rule: references as courts write them are
// accepted, and one case whatever the case of their letters.
func TestCaseIDs(t *testing.T) {
	for _, ok := range []string{"SN/2026/0142", "NG-MLA-2025-0318", "sn-2026-0142", "a", "RG_2026_12"} {
		if err := ValidateCaseID(ok); err != nil {
			t.Errorf("ValidateCaseID(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/SN/1", "SN/1/", "-a", "SN 2026", "sn.2026", "a*", "a>", "é", strings.Repeat("a", 65)} {
		if err := ValidateCaseID(bad); err == nil {
			t.Errorf("ValidateCaseID(%q) accepted", bad)
		}
	}
	if CaseKey("SN/2026/0142") != CaseKey("sn/2026/0142") || CaseKey("NG-MLA-2025-0318") != "ng-mla-2025-0318" {
		t.Errorf("CaseKey does not fold case")
	}
}
