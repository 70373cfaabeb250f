package compose

import (
	"strings"
)

// locate finds the form field at fault in a protocol validation error
// ("request.legal_basis[0].instrument: must not be empty") and the i18n
// message id that says what is wrong.
func (p *parser) locate(err error) (name, id string) {
	msg := err.Error()
	path, rule, ok := strings.Cut(msg, ": ")
	if !ok || strings.ContainsAny(path, " \"") {
		return FormError, ruleID(msg)
	}
	return p.fieldFor(path), ruleID(rule)
}

// fieldFor maps a protocol field path to the form field it came from: the
// longest traced path that path starts with, then, if that is a row of a
// group, the column the rest of the path names.
func (p *parser) fieldFor(path string) string {
	best, bestLen := FormError, -1
	for prefix, name := range p.trace {
		if len(prefix) <= bestLen || !strings.HasPrefix(path, prefix) {
			continue
		}
		if rest := path[len(prefix):]; rest != "" && rest[0] != '.' && rest[0] != '[' {
			continue
		}
		best, bestLen = name, len(prefix)
	}
	if bestLen < 0 {
		return FormError
	}
	rest := path[bestLen:]
	col, _, _ := strings.Cut(strings.TrimPrefix(rest, "."), ".")
	if g, i, ok := strings.Cut(best, "."); ok && !strings.Contains(i, ".") && strings.HasPrefix(rest, ".") {
		if fd, ok := p.f.Field(g); ok {
			for _, c := range fd.Columns {
				if c.Name == col {
					return best + "." + col
				}
			}
		}
	}
	return best
}

// ruleID returns the i18n message id for a protocol validation rule. The
// more specific rules come first: "must not be empty (required with
// handling H3)" is about H3.
func ruleID(rule string) string {
	rules := []struct{ text, id string }{
		{"required with handling H3", ErrH3Conditions},
		{"must be absent unless handling is H3", ErrConditionsNoH3},
		{"required when state is", ErrReasonRequired},
		{"must be absent unless state is", ErrReasonNotAllow},
		{"must say what the value is when kind is other", ErrLabelOther},
		{"must not be empty", ErrRequired},
		{"must not be only white space", ErrRequired},
		{"must have at least", ErrRequired},
		{"must have at most", ErrTooMany},
		{"characters (is", ErrTooLong},
		{"must be a single line", ErrSingleLine},
		{"control characters", ErrControl},
		{"valid UTF-8", ErrUTF8},
		{"duplicate of", ErrDuplicate},
		{"must be one of", ErrChoice},
		{"must be 1, 2, 3 or 4", ErrChoice},
		{"ISO 3166-1", ErrCountry},
		{"calendar date", ErrDate},
		{"ISO 639-1", ErrLanguage},
		{"invalid case id", ErrCaseID},
		{"invalid message id", ErrMessageID},
		{"SHA-256", ErrSHA256},
		{"over the limit", ErrTooLarge},
	}
	for _, r := range rules {
		if strings.Contains(rule, r.text) {
			return r.id
		}
	}
	return ErrInvalidValue
}
