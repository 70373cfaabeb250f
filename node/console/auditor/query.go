package auditor

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// Limits of the timeline's query.
const (
	// maxQuery bounds the raw query string.
	maxQuery = 1024
	// maxIndex bounds a record index, as the record encoding does.
	maxIndex = 1 << 62
)

// query is the timeline's filter and position, from the GET parameters
// case, agency, type (repeated), since, until (dates 2006-01-02 or times
// 2006-01-02T15:04, UTC) and start (the record to start from).
type query struct {
	Case   string
	Agency string
	Types  []auditlog.Type
	// Since and Until bound the records' times; zero is no bound. Until
	// is exclusive.
	Since, Until time.Time
	Start        int64
}

// queryError names the parameter at fault.
type queryError struct {
	Param string
	Msg   string
}

func (e *queryError) Error() string { return e.Param + ": " + e.Msg }

// parseQuery decodes a timeline query strictly: no parameter it does not
// know, none twice (but type), nothing over its limits.
func parseQuery(raw string) (*query, error) {
	if len(raw) > maxQuery {
		return nil, &queryError{"query", fmt.Sprintf("%d bytes, over the limit of %d", len(raw), maxQuery)}
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &queryError{"query", "not a query string"}
	}
	q := &query{}
	for k, vs := range v {
		if k != "type" && len(vs) > 1 {
			return nil, &queryError{k, "given more than once"}
		}
		val := vs[0]
		switch k {
		case "case":
			if val != "" {
				if err := protocol.ValidateCaseID(val); err != nil {
					return nil, &queryError{k, protocol.CaseIDRule}
				}
			}
			q.Case = val
		case "agency":
			if val != "" {
				if err := protocol.ValidateID("agency", val); err != nil {
					return nil, &queryError{k, err.Error()}
				}
			}
			q.Agency = val
		case "type":
			if len(vs) > len(auditlog.Types()) {
				return nil, &queryError{k, "given more times than there are types"}
			}
			for _, s := range vs {
				if s == "" {
					continue
				}
				t, err := auditlog.ParseType(s)
				if err != nil {
					return nil, &queryError{k, err.Error()}
				}
				if !slices.Contains(q.Types, t) {
					q.Types = append(q.Types, t)
				}
			}
			slices.Sort(q.Types)
		case "since":
			if q.Since, err = parseWhen(val, false); err != nil {
				return nil, &queryError{k, err.Error()}
			}
		case "until":
			if q.Until, err = parseWhen(val, true); err != nil {
				return nil, &queryError{k, err.Error()}
			}
		case "start":
			if val != "" {
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil || n < 0 || n > maxIndex || strconv.FormatInt(n, 10) != val {
					return nil, &queryError{k, "must be a record index, 0 or more"}
				}
				q.Start = n
			}
		default:
			return nil, &queryError{k, "unknown parameter"}
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return nil, &queryError{"until", "must come after since"}
	}
	return q, nil
}

// whenLayouts are the forms a time may take: a date (an HTML date input)
// or a date and time (an HTML datetime-local input), in UTC.
var whenLayouts = []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05"}

// parseWhen reads a time bound. A date alone as an end bound means the end
// of that day.
func parseWhen(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for i, l := range whenLayouts {
		if len(s) != len(l) {
			continue
		}
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		if t.Year() < 1970 || t.Year() > 9000 {
			return time.Time{}, errors.New("must be between 1970 and 9000")
		}
		if end && i == 0 {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, errors.New("must be a date (2026-12-06) or a date and time (2026-12-06T14:05), in UTC")
}

// Encode returns the query string of q, with start, in a fixed order:
// parseQuery(q.Encode()) is q.
func (q *query) Encode() string {
	v := url.Values{}
	if q.Case != "" {
		v.Set("case", q.Case)
	}
	if q.Agency != "" {
		v.Set("agency", q.Agency)
	}
	for _, t := range q.Types {
		v.Add("type", t.String())
	}
	if !q.Since.IsZero() {
		v.Set("since", formatWhen(q.Since, false))
	}
	if !q.Until.IsZero() {
		v.Set("until", formatWhen(q.Until, true))
	}
	if q.Start > 0 {
		v.Set("start", strconv.FormatInt(q.Start, 10))
	}
	return v.Encode()
}

// formatWhen writes a bound the way parseWhen reads it back.
func formatWhen(t time.Time, end bool) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		if end {
			return t.AddDate(0, 0, -1).Format(whenLayouts[0])
		}
		return t.Format(whenLayouts[0])
	}
	if t.Second() == 0 {
		return t.Format(whenLayouts[1])
	}
	return t.Format(whenLayouts[2])
}

// at returns q starting at record i.
func (q *query) at(i int64) *query {
	c := *q
	c.Start = i
	return &c
}

// cheap says whether a record may match from its own fields (type and
// time), before its payload is decoded.
func (q *query) cheap(rec *auditlog.Record) bool {
	if len(q.Types) > 0 && !slices.Contains(q.Types, rec.Type) {
		return false
	}
	if !q.Since.IsZero() && rec.Time.Before(q.Since) {
		return false
	}
	return q.Until.IsZero() || rec.Time.Before(q.Until)
}

// needsPayload says whether matching needs the record's payload decoded.
func (q *query) needsPayload() bool { return q.Case != "" || q.Agency != "" }

// match says whether a decoded record matches the case and agency.
func (q *query) match(ev *auditlog.Event) bool {
	if q.Case != "" && protocol.CaseKey(ev.Case()) != protocol.CaseKey(q.Case) {
		return false
	}
	return q.Agency == "" || ev.Involves(q.Agency)
}

// Has says whether q filters on type t, for the form's check boxes.
func (q *query) Has(t auditlog.Type) bool { return slices.Contains(q.Types, t) }

// SinceValue is the start bound as the form shows it.
func (q *query) SinceValue() string {
	if q.Since.IsZero() {
		return ""
	}
	return formatWhen(q.Since, false)
}

// UntilValue is the end bound as the form shows it.
func (q *query) UntilValue() string {
	if q.Until.IsZero() {
		return ""
	}
	return formatWhen(q.Until, true)
}
