package protocol

import "fmt"

// SizedLead returns a valid case.lead body of about size bytes (at least
// about 300), for benchmarks and load tests: a summary up to its limit, then persons, organisations and
// identifiers with long values, as a lead on a large network would carry.
func SizedLead(size int) []byte {
	text := func(n int, seed int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte((i+seed)%26)
		}
		return string(b)
	}
	l := Lead{
		Version: BodyVersion, Title: "Benchmark lead", CrimeTypes: []CrimeType{"smuggling-of-migrants"},
		Handling: "H1", SourceEvaluation: "B", InformationEvaluation: 2, Urgency: "routine", Languages: []string{"fr"},
	}
	base, _ := Marshal(&l)
	l.Summary = text(min(max(1, size-len(base)-14), 20000), 0)
	ids := func(n, seed int) []Identifier {
		out := make([]Identifier, n)
		for i := range out {
			out[i] = Identifier{Kind: "other", Label: "account", Value: text(200, seed+i)}
		}
		return out
	}
	cur := func() int { b, _ := Marshal(&l); return len(b) }
	// Each entity adds about 20 × 240 bytes; add them while they fit.
	for i := 0; cur()+5000 < size && i < 100; i++ {
		l.Persons = append(l.Persons, Person{Name: fmt.Sprintf("Person %d", i), Role: "suspect", Identifiers: ids(20, i)})
	}
	for i := 0; cur()+5000 < size && i < 100; i++ {
		l.Organisations = append(l.Organisations, Organisation{Name: fmt.Sprintf("Company %d", i), Country: "SN", Identifiers: ids(20, i)})
	}
	for i := 0; cur()+250 < size && i < 500; i++ {
		l.Identifiers = append(l.Identifiers, ids(1, i)...)
	}
	b, err := Marshal(&l)
	if err != nil {
		panic("casenode: sized lead: " + err.Error())
	}
	return b
}
