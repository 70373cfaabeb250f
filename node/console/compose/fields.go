package compose

import "github.com/casenode/casenode/protocol"

// Where a kind-specific answer goes in a request's body.
const (
	intoFacts    = "facts"
	intoMeasures = "measures"
)

// hasHelp reports whether a field or a group's column (GROUP.NAME) has a
// help text, compose.NAME.help.
func hasHelp(name string) bool {
	switch name {
	case CaseField, ReferenceField, "summary", "handling", "handling_conditions", "source_evaluation", "information_evaluation", "related_cases", "languages", "deadline", "urgency_reason", "facts", "offences", "procedure", "confidentiality", "evidence_link", "warrant", "penalty", "assurances", "whereabouts", "transfer_reasons", "proceedings_stage", "file_sent", "why_remote", "technical_contact", "jit_members", "consignment", "route", "asset_link", "assets", "domestic_order", "data_to_preserve", "custodian", "data_link", "necessity", "followup", "data_sought", "data_period", "target", "collection_period", "reason", "text", "persons.nationality", "identifiers.owner", "identifiers.label", "identifiers.country", "legal_basis.instrument", "organisations.country", "documents.sha256":
		return true
	}
	return false
}

// field builds a common field whose label and help are compose.NAME and
// compose.NAME.help.
func field(section, name, input string, required bool, max int) Field {
	f := Field{Name: name, Label: "compose." + name, Section: section, Input: input, Required: required, Max: max}
	if hasHelp(name) {
		f.Help = f.Label + ".help"
	}
	return f
}

func selectField(section, name string, required bool, opts []Option) Field {
	f := field(section, name, InputSelect, required, 0)
	f.Options = opts
	return f
}

func multiField(section, name string, required bool, opts []Option, max int) Field {
	f := field(section, name, InputMultiSelect, required, max)
	f.Options = opts
	return f
}

// column builds a group column labelled compose.GROUP.NAME.
func column(group, name, input string, required bool, max int) Field {
	f := Field{Name: name, Label: "compose." + group + "." + name, Input: input, Required: required, Max: max}
	if hasHelp(group + "." + name) {
		f.Help = f.Label + ".help"
	}
	return f
}

func group(section, name string, required bool, rows, max int, cols ...Field) Field {
	f := field(section, name, InputGroup, required, max)
	f.Rows = rows
	f.Columns = cols
	return f
}

// specific builds a question of one kind of request: its answer goes into
// the facts or the measures, after the label wire.
func specific(kind protocol.RequestKind, name, input string, required bool, into, wire string) Field {
	f := field("compose.section."+string(kind), name, input, required, 0)
	f.into, f.wire = into, wire
	if into == intoMeasures {
		// A measure is at most 2,000 characters, label included.
		f.Max = 2000 - len(wire) - len(": ")
	}
	if into == intoFacts {
		// The facts are at most 100,000 characters: 60,000 for the
		// account of the facts, up to six sections of 5,000.
		f.Max = 5000
	}
	if input == InputText && f.Max > 300 {
		f.Max = 300
	}
	return f
}

func specificSelect(kind protocol.RequestKind, name string, required bool, wire string, values ...string) Field {
	f := specific(kind, name, InputSelect, required, intoMeasures, wire)
	f.Options = choices(name, values...)
	return f
}

func caseField() Field {
	return field("compose.section.case", CaseField, InputText, false, protocol.MaxIDLen)
}

func personsGroup(section string, required bool) Field {
	return group(section, "persons", required, 2, 100,
		column("persons", "name", InputText, true, 200),
		func() Field {
			c := column("persons", "role", InputSelect, true, 0)
			c.Options = options(VocabPersonRole, protocol.PersonRoles())
			return c
		}(),
		column("persons", "nationality", InputText, false, 2),
		column("persons", "date_of_birth", InputDate, false, 10),
	)
}

func identifiersGroup(section string) Field {
	kind := column("identifiers", "kind", InputSelect, true, 0)
	kind.Options = options(VocabIdentifierKind, protocol.IdentifierKinds())
	return group(section, "identifiers", false, 3, 500,
		column("identifiers", "owner", InputOwner, false, 0),
		kind,
		column("identifiers", "value", InputText, true, 200),
		column("identifiers", "country", InputText, false, 2),
		column("identifiers", "label", InputText, false, 100),
	)
}
