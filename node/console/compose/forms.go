package compose

import "github.com/casenode/casenode/protocol"

func leadForm() *Form {
	const (
		sLead     = "compose.section.lead"
		sHandling = "compose.section.handling"
		sPersons  = "compose.section.persons"
		sFollow   = "compose.section.follow_up"
	)
	return &Form{
		Kind: "lead", Type: protocol.TypeLead,
		Title: "compose.form.lead", Intro: "compose.form.lead.intro",
		Fields: []Field{
			caseField(),
			field(sLead, "title", InputText, true, 200),
			field(sLead, "summary", InputTextarea, true, 20000),
			multiField(sLead, "crime_types", true, options(VocabCrime, protocol.CrimeTypes()), 14),
			selectField(sLead, "urgency", true, options(VocabUrgency, protocol.Urgencies())),
			selectField(sHandling, "handling", true, options(VocabHandling, protocol.HandlingCodes())),
			field(sHandling, "handling_conditions", InputTextarea, false, 2000),
			selectField(sHandling, "source_evaluation", true, options(VocabSource, protocol.SourceEvaluations())),
			selectField(sHandling, "information_evaluation", true, informationOptions()),
			personsGroup(sPersons, false),
			group(sPersons, "organisations", false, 1, 100,
				column("organisations", "name", InputText, true, 200),
				column("organisations", "country", InputText, true, 2),
			),
			identifiersGroup(sPersons),
			multiField(sFollow, "languages", false, languageOptions(), 10),
			field(sFollow, "related_cases", InputLines, false, 50),
		},
	}
}

func requestForm(kind protocol.RequestKind) *Form {
	const (
		sUrgency  = "compose.section.urgency"
		sBasis    = "compose.section.legal_basis"
		sFacts    = "compose.section.facts"
		sMeasures = "compose.section.measures"
		sPersons  = "compose.section.persons"
		sFollow   = "compose.section.follow_up"
	)
	k := string(kind)
	urgencyReason := specific(kind, "urgency_reason", InputTextarea, false, intoFacts, "Reason for urgency")
	urgencyReason.Section = sUrgency
	offences := specific(kind, "offences", InputTextarea, true, intoFacts, "Offences and penalties")
	offences.Section = sFacts
	procedure := specific(kind, "procedure", InputTextarea, false, intoMeasures, "Procedure to follow")
	procedure.Section = sMeasures
	confidentiality := specific(kind, "confidentiality", InputTextarea, false, intoMeasures, "Confidentiality")
	confidentiality.Section = sMeasures
	specifics, measuresRequired, personsRequired := kindFields(kind)

	fields := []Field{
		caseField(),
		selectField(sUrgency, "urgency", true, options(VocabUrgency, protocol.Urgencies())),
		field(sUrgency, "deadline", InputDate, false, 10),
		urgencyReason,
		group(sBasis, "legal_basis", true, 2, 20,
			column("legal_basis", "instrument", InputText, true, 300),
			column("legal_basis", "article", InputText, false, 100),
		),
		field(sFacts, "facts", InputTextarea, true, 60000),
		offences,
	}
	fields = append(fields, specifics...)
	fields = append(fields,
		group(sMeasures, "measures", measuresRequired, 3, 40,
			column("measures", "text", InputTextarea, true, 2000)),
		procedure,
		confidentiality,
		personsGroup(sPersons, personsRequired),
		identifiersGroup(sPersons),
		multiField(sFollow, "languages", true, languageOptions(), 10),
	)
	return &Form{
		Kind: k, Type: protocol.TypeRequest,
		Title: VocabRequestKind + k, Intro: "compose.form." + k + ".intro",
		Fields: fields,
	}
}

// kindFields returns the questions proper to one kind of request, whether
// its free list of measures must have an entry, and whether it must name a
// person. The questions follow those the UNODC MLA Request Writer Tool asks
// for each form of cooperation, and for the digital-evidence kinds the
// contents that the Budapest Convention (Articles 29, 31 and 33) requires.
func kindFields(kind protocol.RequestKind) (fields []Field, measuresRequired, personsRequired bool) {
	s := func(name, input string, required bool, into, wire string) Field {
		return specific(kind, name, input, required, into, wire)
	}
	const ta, tx = InputTextarea, InputText
	switch kind {
	case protocol.RequestMLA:
		return []Field{
			s("evidence_link", ta, true, intoFacts, "Relevance of the assistance sought"),
			s("questions", ta, false, intoMeasures, "Questions to put to the persons to be heard"),
			s("search_seizure", ta, false, intoMeasures, "Places to search and items to seize"),
		}, true, false
	case protocol.RequestExtradition:
		return []Field{
			s("warrant", ta, true, intoFacts, "Warrant or judgment"),
			s("penalty", ta, true, intoFacts, "Penalty"),
			s("limitation", ta, false, intoFacts, "Limitation period"),
			s("assurances", ta, false, intoFacts, "Assurances"),
			s("whereabouts", ta, true, intoMeasures, "Surrender of the person sought, believed to be"),
			specificSelect(kind, "provisional_arrest", true, "Provisional arrest", "requested", "not-requested"),
		}, false, true
	case protocol.RequestTransferOfProceedings:
		return []Field{
			s("transfer_reasons", ta, true, intoFacts, "Reasons for the transfer"),
			s("proceedings_stage", ta, true, intoFacts, "State of the proceedings"),
			s("victims", ta, false, intoFacts, "Victims and civil parties"),
			s("file_sent", ta, true, intoMeasures, "Take over the proceedings; case file transmitted"),
		}, false, false
	case protocol.RequestVideoconference:
		return []Field{
			s("why_remote", ta, true, intoFacts, "Why the person cannot appear in person"),
			specificSelect(kind, "capacity", true, "Hearing by videoconference of the person named, as", "witness", "expert", "victim", "suspect", "accused"),
			s("hearing_dates", tx, true, intoMeasures, "Proposed dates and times"),
			s("questions", ta, false, intoMeasures, "Questions to put to the persons to be heard"),
			s("interpretation", tx, false, intoMeasures, "Interpretation"),
			s("technical_contact", ta, false, intoMeasures, "Technical contact and equipment"),
		}, false, true
	case protocol.RequestJIT:
		return []Field{
			s("jit_purpose", ta, true, intoFacts, "Purpose of the joint investigation team"),
			s("jit_members", ta, true, intoMeasures, "Set up a joint investigation team with these members"),
			s("jit_period", tx, true, intoMeasures, "Proposed duration"),
			s("jit_place", tx, false, intoMeasures, "Where the team will operate"),
			s("jit_costs", ta, false, intoMeasures, "Costs and equipment"),
		}, false, false
	case protocol.RequestControlledDelivery:
		return []Field{
			s("consignment", ta, true, intoFacts, "Consignment"),
			s("route", ta, true, intoMeasures, "Allow the consignment to pass under surveillance; route, transport and timing"),
			s("surveillance", ta, true, intoMeasures, "Surveillance and officers involved"),
			specificSelect(kind, "substitution", false, "Substitution of the contents", "permitted", "not-permitted"),
			s("interception", ta, false, intoMeasures, "Interception and arrest"),
		}, false, false
	case protocol.RequestAssets:
		return []Field{
			s("asset_link", ta, true, intoFacts, "Link between the assets and the offence"),
			s("domestic_order", ta, false, intoFacts, "Order issued in the requesting State"),
			s("third_parties", ta, false, intoFacts, "Rights of third parties"),
			specificSelect(kind, "asset_measure", true, "Measure requested", "freezing", "seizure", "confiscation", "return"),
			s("assets", ta, true, intoMeasures, "Assets"),
			s("disposal", ta, false, intoMeasures, "Disposal and return of the assets"),
		}, false, false
	case protocol.RequestPreservation:
		return []Field{
			s("data_link", ta, true, intoFacts, "Relationship of the data to the offence"),
			s("necessity", ta, true, intoFacts, "Why preservation is necessary"),
			s("data_to_preserve", ta, true, intoMeasures, "Preserve the following stored computer data"),
			s("custodian", ta, true, intoMeasures, "Custodian or location of the data"),
			s("followup", ta, true, intoMeasures, "Follow-up request"),
		}, false, false
	case protocol.RequestStoredData:
		return []Field{
			s("data_link", ta, true, intoFacts, "Relationship of the data to the offence"),
			s("data_sought", ta, true, intoMeasures, "Disclose the following stored computer data"),
			s("custodian", ta, true, intoMeasures, "Custodian or location of the data"),
			s("data_period", tx, true, intoMeasures, "Period covered"),
			s("preservation_ref", tx, false, intoMeasures, "Earlier preservation request"),
			s("certification", ta, false, intoMeasures, "Form of production and certification"),
		}, false, false
	case protocol.RequestTrafficData:
		return []Field{
			s("necessity", ta, true, intoFacts, "Why real-time collection is necessary"),
			s("target", ta, true, intoMeasures, "Collect in real time the traffic data of these communications"),
			s("custodian", ta, true, intoMeasures, "Custodian or location of the data"),
			s("collection_period", tx, true, intoMeasures, "Period of collection"),
			s("transmission", ta, false, intoMeasures, "How the data are to be transmitted"),
		}, false, false
	}
	return nil, true, false
}

func replyForm() *Form {
	const s = "compose.section.reply"
	return &Form{
		Kind: "reply", Type: protocol.TypeReply,
		Title: "compose.form.reply", Intro: "compose.form.reply.intro",
		Fields: []Field{
			caseField(),
			field(s, ReferenceField, InputText, true, 36),
			field(s, "text", InputTextarea, true, 100000),
			group(s, "documents", false, 2, 100,
				column("documents", "title", InputText, true, 300),
				column("documents", "sha256", InputText, true, 64),
			),
		},
	}
}

func statusForm() *Form {
	const s = "compose.section.status"
	return &Form{
		Kind: "status", Type: protocol.TypeStatus,
		Title: "compose.form.status", Intro: "compose.form.status.intro",
		Fields: []Field{
			caseField(),
			field(s, ReferenceField, InputText, true, 36),
			selectField(s, "state", true, options(VocabState, protocol.States())),
			field(s, "reason", InputTextarea, false, 2000),
			field(s, "note", InputTextarea, false, 2000),
		},
	}
}
