package secretariat

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

// Bounds of the forms' fields, checked before any parsing.
const (
	maxPassphrase = 1024
	// defaultOverlap is how long a replaced key stays trusted unless the
	// form says otherwise, as 'casenode member rotate'.
	defaultOverlap = 72 * time.Hour
)

// formError is a form's field at fault and the message id saying why.
type formError struct {
	Field string
	Msg   string
}

func (e *formError) Error() string { return e.Field + ": " + e.Msg }

// cardForm is an admission's or a rotation's form, decoded.
type cardForm struct {
	Card       *protocol.MemberCard
	Passphrase []byte
	Overlap    time.Duration
	NewCreds   bool
}

// parseCardForm decodes the member card pasted in field "card" (the
// agency's member.json, strictly decoded and validated), the passphrase,
// and for a rotation the overlap and new_creds fields.
func parseCardForm(v url.Values, rotation bool) (*cardForm, *formError) {
	f := &cardForm{}
	text := strings.TrimSpace(v.Get("card"))
	if text == "" {
		return nil, &formError{"card", "sec.form.card.missing"}
	}
	if len(text) > protocol.MaxCardSize {
		return nil, &formError{"card", "sec.form.card.large"}
	}
	card, err := protocol.ParseMemberCard([]byte(text))
	if err != nil {
		return nil, &formError{"card", "sec.form.card.invalid"}
	}
	f.Card = card
	p, fe := parsePassphrase(v)
	if fe != nil {
		return nil, fe
	}
	f.Passphrase = p
	if rotation {
		o := strings.TrimSpace(v.Get("overlap"))
		if o == "" {
			f.Overlap = defaultOverlap
		} else if d, err := time.ParseDuration(o); err != nil || d < 0 || d > hub.MaxOverlap || len(o) > 32 {
			return nil, &formError{"overlap", "sec.form.overlap"}
		} else {
			f.Overlap = d
		}
		f.NewCreds = v.Get("new_creds") == "on"
	}
	return f, nil
}

// parsePassphrase returns the secretariat key's passphrase of a form,
// which may be empty for a key stored in clear.
func parsePassphrase(v url.Values) ([]byte, *formError) {
	p := v.Get("passphrase")
	if len(p) > maxPassphrase {
		return nil, &formError{"passphrase", "sec.form.passphrase.large"}
	}
	return []byte(p), nil
}

// parseRevokeForm decodes a revocation: the agency id typed again to
// confirm, and the passphrase.
func parseRevokeForm(v url.Values, agency string) ([]byte, *formError) {
	if strings.TrimSpace(v.Get("confirm")) != agency {
		return nil, &formError{"confirm", "sec.form.confirm"}
	}
	return parsePassphrase(v)
}

// parseWitnessResetForm decodes a witness reset: the reason, required
// (it goes into the signed order), and the passphrase.
func parseWitnessResetForm(v url.Values) (string, []byte, *formError) {
	reason := strings.Join(strings.Fields(v.Get("reason")), " ")
	if reason == "" || len(reason) > protocol.MaxResetReasonLen {
		return "", nil, &formError{"reason", "sec.form.reason"}
	}
	pass, fe := parsePassphrase(v)
	return reason, pass, fe
}

// statsRange is the period of the statistics page: from and to as UTC
// dates (YYYY-MM-DD), the last 30 days by default, at most statsMaxDays.
func statsRange(v url.Values, now time.Time) (from, to time.Time, err error) {
	to = now.UTC().Truncate(24 * time.Hour)
	from = to.AddDate(0, 0, -29)
	if s := v.Get("to"); s != "" {
		if to, err = parseDay(s); err != nil {
			return from, to, fmt.Errorf("to: %w", err)
		}
	}
	if s := v.Get("from"); s != "" {
		if from, err = parseDay(s); err != nil {
			return from, to, fmt.Errorf("from: %w", err)
		}
	} else if v.Get("to") != "" {
		from = to.AddDate(0, 0, -29)
	}
	if from.After(to) {
		return from, to, fmt.Errorf("from: after to")
	}
	if to.Sub(from) > statsMaxDays*24*time.Hour {
		return from, to, fmt.Errorf("from: more than %d days before to", statsMaxDays)
	}
	return from, to, nil
}

// statsMaxDays bounds the period of the statistics.
const statsMaxDays = 400

func parseDay(s string) (time.Time, error) {
	if len(s) != len(time.DateOnly) {
		return time.Time{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return time.Parse(time.DateOnly, s)
}
