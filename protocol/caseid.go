package protocol

import (
	"fmt"
	"strings"
)

// CaseIDRule is the rule for case identifiers, quoted in errors. A case id
// is the reference the agencies already use — a court docket, an MLA
// reference — so capitals and slashes are allowed; it is kept as written.
const CaseIDRule = "1 to 64 letters, digits, '-', '_' and '/', starting and ending with a letter or digit (e.g. SN/2026/0142 or ng-mla-2025-0318)"

// ValidateCaseID checks that s is a valid case identifier (CaseIDRule).
func ValidateCaseID(s string) error {
	if !isCaseID(s) {
		return fmt.Errorf("invalid case id %q: must be %s", s, CaseIDRule)
	}
	return nil
}

// CaseKey is the normalised form of a valid case id, under which a node
// files and looks up a case: the id with ASCII letters in lower case, so
// that "SN/2026/0142" and "sn/2026/0142" are one case. Headers and displays
// keep the id as written.
func CaseKey(id string) string {
	return strings.ToLower(id)
}

func isCaseID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '/' {
			return false
		}
	}
	return true
}
