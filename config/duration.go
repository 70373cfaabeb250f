package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration written in configuration files as a Go
// duration string: "30s", "5m", "24h".
type Duration time.Duration

// MarshalJSON implements json.Marshaler with the shortest form: "24h", not
// "24h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: must be a string like \"30s\", \"5m\" or \"24h\"", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: must be like \"30s\", \"5m\" or \"24h\"", s)
	}
	*d = Duration(v)
	return nil
}

// String returns the duration in its shortest Go form.
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// checkRange reports whether d lies within [min, max], naming field.
func checkRange(field string, d Duration, min, max time.Duration) error {
	if time.Duration(d) < min || time.Duration(d) > max {
		return fmt.Errorf("%s: %s is out of range: must be between %s and %s", field, d, Duration(min), Duration(max))
	}
	return nil
}
