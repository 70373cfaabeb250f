package protocol

import (
	"encoding/base64"
	"fmt"
	"unicode"
	"unicode/utf8"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// ValidateText checks a free-text field: valid UTF-8, between min and max
// characters, no control characters other than newline and tab.
func ValidateText(s string, min, max int) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("must be valid UTF-8")
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		if min == 1 {
			return fmt.Errorf("must not be empty")
		}
		return fmt.Errorf("must be at least %d characters", min)
	}
	if n > max {
		return fmt.Errorf("must be at most %d characters (is %d)", max, n)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return fmt.Errorf("must not contain control characters (found %U)", r)
		}
	}
	return nil
}
