package protocol

import (
	"fmt"
	"time"
)

// TimeLayout is the one encoding of times on the wire: UTC, millisecond
// precision, always three fraction digits and a literal Z.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Time is a point in time encoded as TimeLayout. The zero Time is invalid on
// the wire.
type Time struct{ time.Time }

// NewTime truncates t to the wire's millisecond precision in UTC.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

// String returns the wire form.
func (t Time) String() string { return t.UTC().Format(TimeLayout) }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return nil, fmt.Errorf("time is not set")
	}
	return []byte(`"` + t.String() + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler, accepting only TimeLayout.
func (t *Time) UnmarshalJSON(b []byte) error {
	if len(b) != len(TimeLayout)+2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("time %s: must be a string like %q", b, TimeLayout)
	}
	v, err := time.Parse(TimeLayout, string(b[1:len(b)-1]))
	if err != nil {
		return fmt.Errorf("time %s: must be a string like %q", b, TimeLayout)
	}
	t.Time = v
	return nil
}
