package auditlog

import (
	"strings"
	"testing"
	"time"
)

// TestHubStampLimits decodes received records whose hub stamp sits at
// each edge of what validate takes: a storage time of one nanosecond
// after 1970 and a stream sequence of exactly 2^62 decode; the epoch
// itself and 2^62+1 do not, each refused for what it is.
func TestHubStampLimits(t *testing.T) {
	stored := time.Date(2026, 3, 1, 10, 0, 1, 5, time.UTC)
	for _, c := range []struct {
		name string
		hub  HubStamp
		want string // "" decodes
	}{
		{"one nanosecond after 1970", HubStamp{Stored: time.Unix(0, 1).UTC(), Seq: 1}, ""},
		{"the epoch", HubStamp{Stored: time.Unix(0, 0).UTC(), Seq: 1}, "is not after 1970"},
		{"sequence 2^62", HubStamp{Stored: stored, Seq: 1 << 62}, ""},
		{"sequence 2^62+1", HubStamp{Stored: stored, Seq: 1<<62 + 1}, "out of range"},
	} {
		hub := c.hub
		r := &Record{Seq: 3, Time: stored.Add(time.Second), Type: TypeReceived, Actor: "gh-ag-accra", Hub: &hub}
		got, err := DecodeRecord(r.encode())
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && (got.Hub == nil || !got.Hub.Stored.Equal(hub.Stored) || got.Hub.Seq != hub.Seq):
			t.Errorf("%s: decoded stamp %+v, want %+v", c.name, got.Hub, hub)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}
