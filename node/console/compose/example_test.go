package compose

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/casenode/casenode/protocol"
)

// The reference the examples answer: a valid UUIDv7.
const exampleRef = "0196ed27-54e0-7a3c-8f2d-41b6e07c9e25"

// exampleValues fills every field of f, and two rows of every group, with
// values the protocol accepts.
func exampleValues(f *Form) url.Values {
	v := url.Values{}
	v.Set(CaseField, "sn-2026-0142")
	for i := range f.Fields {
		fd := &f.Fields[i]
		switch fd.Input {
		case InputGroup:
			for r := range 2 {
				for j := range fd.Columns {
					c := &fd.Columns[j]
					if val := exampleValue(fd.Name+"."+c.Name, c, r); val != "" {
						v.Set(cellName(fd.Name, r, c.Name), val)
					}
				}
			}
		case InputMultiSelect:
			v.Add(fd.Name, fd.Options[0].Value)
			v.Add(fd.Name, fd.Options[2].Value)
		default:
			if val := exampleValue(fd.Name, fd, 0); val != "" {
				v.Set(fd.Name, val)
			}
		}
	}
	return v
}

func exampleValue(name string, fd *Field, r int) string {
	switch name {
	case CaseField:
		return "sn-2026-0142"
	case ReferenceField:
		return exampleRef
	case "handling":
		return string(protocol.HandlingH3)
	case "state":
		return string(protocol.StateRefused)
	case "deadline", "persons.date_of_birth":
		return "2026-0" + strconv.Itoa(r+3) + "-15"
	case "persons.nationality", "organisations.country", "identifiers.country":
		return []string{"SN", "GH"}[r]
	case "identifiers.owner":
		return []string{"p1", ""}[r]
	case "documents.sha256":
		return strings.Repeat(strconv.Itoa(r+1), 64)
	case "related_cases":
		return "gh-2025-0077\nsn-2025-0931"
	}
	switch fd.Input {
	case InputSelect:
		return fd.Options[len(fd.Options)-1].Value
	case InputDate:
		return "2026-04-01"
	case InputTextarea:
		return "Answer to " + name + " (row " + strconv.Itoa(r+1) + "),\r\nwritten on two lines."
	}
	return "Answer to " + name + " " + strconv.Itoa(r+1)
}
