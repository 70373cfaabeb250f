package compose

import (
	"fmt"
	"strconv"
	"time"

	"github.com/casenode/casenode/protocol"
)

// fieldOf returns the form's field named name; forms are built so that the
// fields a body builder asks for exist.
func (p *parser) fieldOf(name string) *Field {
	fd, ok := p.f.Field(name)
	if !ok {
		panic("compose: form " + p.f.Kind + " has no field " + name)
	}
	return fd
}

// scalar reads a field's value and records where the protocol's path for
// it points.
func (p *parser) scalar(path, name string) string {
	p.trace[path] = name
	return p.get(name)
}

func (p *parser) strings(path, name string) []string {
	p.trace[path] = name
	return p.list(p.fieldOf(name))
}

func enumList[T ~string](s []string) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

// persons reads the persons group; index maps a row's index to the body's
// index of the person.
func (p *parser) persons(root string) (persons []protocol.Person, index map[int]int) {
	index = map[int]int{}
	p.trace[root+".persons"] = "persons"
	for _, r := range p.rows(p.fieldOf("persons")) {
		k := len(persons)
		index[r.index] = k
		p.trace[fmt.Sprintf("%s.persons[%d]", root, k)] = rowName("persons", r.index)
		persons = append(persons, protocol.Person{
			Name: r.cells["name"], Role: protocol.PersonRole(r.cells["role"]),
			Nationality: r.cells["nationality"], DateOfBirth: r.cells["date_of_birth"],
		})
	}
	return persons, index
}

// identifiers reads the identifiers group and hands each to the person or
// organisation that owns it, or to the body's own list.
func (p *parser) identifiers(root string, persons []protocol.Person, personIndex map[int]int,
	orgs []protocol.Organisation, orgIndex map[int]int) []protocol.Identifier {
	var own []protocol.Identifier
	p.trace[root+".identifiers"] = "identifiers"
	for _, r := range p.rows(p.fieldOf("identifiers")) {
		id := protocol.Identifier{
			Kind: protocol.IdentifierKind(r.cells["kind"]), Value: r.cells["value"],
			Country: r.cells["country"], Label: r.cells["label"],
		}
		name := rowName("identifiers", r.index)
		owner := r.cells["owner"]
		if owner == "" {
			p.trace[fmt.Sprintf("%s.identifiers[%d]", root, len(own))] = name
			own = append(own, id)
			continue
		}
		kind, n, _ := parseOwner(owner)
		if k, ok := personIndex[n-1]; kind == 'p' && ok {
			p.trace[fmt.Sprintf("%s.persons[%d].identifiers[%d]", root, k, len(persons[k].Identifiers))] = name
			persons[k].Identifiers = append(persons[k].Identifiers, id)
			continue
		}
		if k, ok := orgIndex[n-1]; kind == 'o' && ok {
			p.trace[fmt.Sprintf("%s.organisations[%d].identifiers[%d]", root, k, len(orgs[k].Identifiers))] = name
			orgs[k].Identifiers = append(orgs[k].Identifiers, id)
			continue
		}
		if _, reported := p.errs[cellName("identifiers", r.index, "owner")]; !reported {
			p.errs[cellName("identifiers", r.index, "owner")] = ErrOwner
		}
	}
	return own
}

func (p *parser) lead() *protocol.Lead {
	const root = "lead"
	l := &protocol.Lead{
		Version:            protocol.BodyVersion,
		Title:              p.scalar(root+".title", "title"),
		Summary:            p.scalar(root+".summary", "summary"),
		CrimeTypes:         enumList[protocol.CrimeType](p.strings(root+".crime_types", "crime_types")),
		Handling:           protocol.HandlingCode(p.scalar(root+".handling", "handling")),
		HandlingConditions: p.scalar(root+".handling_conditions", "handling_conditions"),
		SourceEvaluation:   protocol.SourceEvaluation(p.scalar(root+".source_evaluation", "source_evaluation")),
		Urgency:            protocol.Urgency(p.scalar(root+".urgency", "urgency")),
		Languages:          p.strings(root+".languages", "languages"),
		RelatedCases:       p.strings(root+".related_cases", "related_cases"),
	}
	if n, err := strconv.Atoi(p.scalar(root+".information_evaluation", "information_evaluation")); err == nil {
		l.InformationEvaluation = protocol.InformationEvaluation(n)
	}
	persons, personIndex := p.persons(root)
	var orgs []protocol.Organisation
	orgIndex := map[int]int{}
	p.trace[root+".organisations"] = "organisations"
	for _, r := range p.rows(p.fieldOf("organisations")) {
		k := len(orgs)
		orgIndex[r.index] = k
		p.trace[fmt.Sprintf("%s.organisations[%d]", root, k)] = rowName("organisations", r.index)
		orgs = append(orgs, protocol.Organisation{Name: r.cells["name"], Country: r.cells["country"]})
	}
	l.Identifiers = p.identifiers(root, persons, personIndex, orgs, orgIndex)
	l.Persons, l.Organisations = persons, orgs
	return l
}

// deadlineTime is the time of day, UTC, that a deadline given as a date
// stands for: the end of that day.
const deadlineTime = 23*time.Hour + 59*time.Minute + 59*time.Second

func (p *parser) request() *protocol.Request {
	const root = "request"
	r := &protocol.Request{
		Version:   protocol.BodyVersion,
		Kind:      protocol.RequestKind(p.f.Kind),
		Urgency:   protocol.Urgency(p.scalar(root+".urgency", "urgency")),
		Languages: p.strings(root+".languages", "languages"),
	}
	p.trace[root+".kind"] = FormError
	if d := p.get("deadline"); d != "" {
		if t, err := time.Parse(time.DateOnly, d); err == nil {
			r.Deadline = protocol.NewTime(t.Add(deadlineTime))
		}
	}
	p.trace[root+".legal_basis"] = "legal_basis"
	for _, row := range p.rows(p.fieldOf("legal_basis")) {
		p.trace[fmt.Sprintf("%s.legal_basis[%d]", root, len(r.LegalBasis))] = rowName("legal_basis", row.index)
		r.LegalBasis = append(r.LegalBasis, protocol.LegalBasis{Instrument: row.cells["instrument"], Article: row.cells["article"]})
	}
	facts := p.scalar(root+".facts", "facts")
	p.trace[root+".measures_requested"] = "measures"
	for i := range p.f.Fields {
		fd := &p.f.Fields[i]
		v := p.get(fd.Name)
		if fd.wire == "" || v == "" {
			continue
		}
		switch fd.into {
		case intoFacts:
			facts += "\n\n" + fd.wire + ":\n" + v
		case intoMeasures:
			p.trace[fmt.Sprintf("%s.measures_requested[%d]", root, len(r.MeasuresRequested))] = fd.Name
			r.MeasuresRequested = append(r.MeasuresRequested, fd.wire+": "+v)
		}
	}
	for _, row := range p.rows(p.fieldOf("measures")) {
		p.trace[fmt.Sprintf("%s.measures_requested[%d]", root, len(r.MeasuresRequested))] = cellName("measures", row.index, "text")
		r.MeasuresRequested = append(r.MeasuresRequested, row.cells["text"])
	}
	r.Facts = facts
	persons, index := p.persons(root)
	r.Identifiers = p.identifiers(root, persons, index, nil, nil)
	r.Persons = persons
	return r
}

func (p *parser) reply() *protocol.Reply {
	const root = "reply"
	r := &protocol.Reply{
		Version:   protocol.BodyVersion,
		InReplyTo: p.scalar(root+".in_reply_to", ReferenceField),
		Text:      p.scalar(root+".text", "text"),
	}
	p.trace[root+".documents"] = "documents"
	for _, row := range p.rows(p.fieldOf("documents")) {
		p.trace[fmt.Sprintf("%s.documents[%d]", root, len(r.Documents))] = rowName("documents", row.index)
		r.Documents = append(r.Documents, protocol.DocumentRef{Title: row.cells["title"], SHA256: row.cells["sha256"]})
	}
	return r
}

func (p *parser) status() *protocol.Status {
	const root = "status"
	return &protocol.Status{
		Version: protocol.BodyVersion,
		About:   p.scalar(root+".about", ReferenceField),
		State:   protocol.State(p.scalar(root+".state", "state")),
		Reason:  p.scalar(root+".reason", "reason"),
		Note:    p.scalar(root+".note", "note"),
	}
}
