package protocol

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// BodyVersion is the version of the case message body formats. Every body
// carries it as its first field, "v".
const BodyVersion = 1

// Body is a typed, validated case message body, or a receipt.
type Body interface {
	// Type returns the message type the body is carried as.
	Type() MessageType
	// Validate checks every field; errors name the field's full path and
	// the rule it breaks.
	Validate() error
}

var (
	_ Body = (*Lead)(nil)
	_ Body = (*Request)(nil)
	_ Body = (*Reply)(nil)
	_ Body = (*Status)(nil)
	_ Body = (*ContactCard)(nil)
	_ Body = (*Receipt)(nil)
)

// Summary returns a one-line description of the message type, or "" for an
// unknown type.
func (t MessageType) Summary() string {
	switch t {
	case TypeLead:
		return "intelligence on a crime shared spontaneously, with handling and evaluation codes"
	case TypeRequest:
		return "a request for mutual legal assistance, extradition or another measure"
	case TypeReply:
		return "the answer to a message, with references to the documents sent separately"
	case TypeStatus:
		return "where the execution of a request stands"
	case TypeContact:
		return "an agency's contact card: who to call, in which language, when"
	case TypeReceipt:
		return "a signed acknowledgement that a message was delivered, read or rejected"
	}
	return ""
}

// ValidateBody decodes data as a body of type t and validates it. See
// DecodeBody.
func ValidateBody(t MessageType, data []byte) error {
	_, err := DecodeBody(t, data)
	return err
}

// DecodeBody decodes data as a body of type t and validates it. Data over
// MaxBodySize (MaxReceiptSize for a receipt) is refused before it is parsed.
// Decoding is strict: unknown fields, trailing data, invalid UTF-8, duplicate
// object keys and keys that are not spelled exactly as the field names (which
// encoding/json would otherwise match without regard to case) are refused, so
// that no other decoder can read the same bytes differently.
func DecodeBody(t MessageType, data []byte) (Body, error) {
	var b Body
	limit := MaxBodySize
	switch t {
	case TypeLead:
		b = new(Lead)
	case TypeRequest:
		b = new(Request)
	case TypeReply:
		b = new(Reply)
	case TypeStatus:
		b = new(Status)
	case TypeContact:
		b = new(ContactCard)
	case TypeReceipt:
		b = new(Receipt)
		limit = MaxReceiptSize
	default:
		_, err := ParseMessageType(string(t))
		return nil, err
	}
	what := string(t) + " body"
	if err := DecodeStrict(what, data, limit, b); err != nil {
		return nil, err
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

// The checks below return errors of the form "path: rule", where path is
// the field's full path from the body's root (lead.persons[2].name).

func at(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func checkVersion(path string, v int) error {
	if v != BodyVersion {
		return fmt.Errorf("%s: unsupported version %d (this casenode reads version %d)", path, v, BodyVersion)
	}
	return nil
}

// checkText checks free text of min to max characters that may span lines.
// Text that is present must not be only white space.
func checkText(path, s string, min, max int) error {
	if err := ValidateText(s, min, max); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if s != "" && strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s: must not be only white space", path)
	}
	return nil
}

// checkLine is checkText for a single line: no newline or tab.
func checkLine(path, s string, min, max int) error {
	if err := checkText(path, s, min, max); err != nil {
		return err
	}
	if strings.ContainsAny(s, "\n\t") {
		return fmt.Errorf("%s: must be a single line (no newline or tab)", path)
	}
	return nil
}

// checkCount checks the length of a list.
func checkCount(path string, n, min, max int) error {
	switch {
	case n < min && min == 1:
		return fmt.Errorf("%s: must have at least one entry", path)
	case n < min:
		return fmt.Errorf("%s: must have at least %d entries (has %d)", path, min, n)
	case n > max:
		return fmt.Errorf("%s: must have at most %d entries (has %d)", path, max, n)
	}
	return nil
}

// checkEnum checks that v is one of allowed.
func checkEnum[T ~string](path string, v T, allowed []T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return fmt.Errorf("%s: must be one of %s (is %s)", path, strings.Join(names, ", "), quote(string(v)))
}

// checkUnique reports the first entry of list equal to an earlier one.
func checkUnique[T comparable](path string, list []T) error {
	for i := range list {
		if j := slices.Index(list[:i], list[i]); j >= 0 {
			return fmt.Errorf("%s: duplicate of %s", at(path, i), at(path, j))
		}
	}
	return nil
}

// checkOptionalCountry checks a country code that may be absent.
func checkOptionalCountry(path, cc string) error {
	if cc == "" {
		return nil
	}
	if err := ValidateCountry(cc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// checkLanguages checks a list of min to max distinct ISO 639-1 codes.
func checkLanguages(path string, langs []string, min, max int) error {
	if err := checkCount(path, len(langs), min, max); err != nil {
		return err
	}
	for i, l := range langs {
		if len(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z' {
			return fmt.Errorf("%s: %s is not an ISO 639-1 language code (two lowercase letters, e.g. fr, en, pt)", at(path, i), quote(l))
		}
	}
	return checkUnique(path, langs)
}

// checkCases checks a list of at most max distinct case identifiers.
func checkCases(path string, ids []string, max int) error {
	if err := checkCount(path, len(ids), 0, max); err != nil {
		return err
	}
	for i, id := range ids {
		if !isCaseID(id) {
			return fmt.Errorf("%s: invalid case id %s: must be %s", at(path, i), quote(id), CaseIDRule)
		}
	}
	return checkUnique(path, ids)
}

// checkMessageID checks a reference to a message by its id.
func checkMessageID(path, id string) error {
	if err := ValidateMessageID(id); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// checkDate checks an optional calendar date written YYYY-MM-DD.
func checkDate(path, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
		return fmt.Errorf("%s: %s is not a calendar date written YYYY-MM-DD", path, quote(s))
	}
	return nil
}

// checkSHA256 checks a SHA-256 digest in lowercase hex.
func checkSHA256(path, s string) error {
	ok := len(s) == 64
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
	}
	if !ok {
		return fmt.Errorf("%s: %s is not a SHA-256 digest (64 lowercase hex digits)", path, quote(s))
	}
	return nil
}

// quote quotes a value for an error message, shortened to 64 characters so
// that an error stays one readable line whatever the input.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	r := []rune(s)
	return fmt.Sprintf("%q…", string(r[:max]))
}
