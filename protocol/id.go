package protocol

import (
	"fmt"
)

// IDRule is the rule for agency, network and case identifiers, quoted in
// errors. Identifiers are used as NATS subject tokens, so they never contain
// dots, wildcards or white space.
const IDRule = "1 to 64 lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. sn-pj-dakar)"

// MaxIDLen is the longest identifier accepted.
const MaxIDLen = 64

// ValidateID checks that s is a valid identifier. what names the identifier
// in the error ("agency", "network", …).
func ValidateID(what, s string) error {
	if !isID(s) {
		return fmt.Errorf("invalid %s id %q: must be %s", what, s, IDRule)
	}
	return nil
}

func isID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
