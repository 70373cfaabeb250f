package agency

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// TestRosterAlarmsKeepTheNewest: the node keeps maxAlarms alarms, dropping
// the oldest when all are open, and Status reports the open card changes
// oldest first.
func TestRosterAlarmsKeepTheNewest(t *testing.T) {
	var a rosterAlarms
	for i := range maxAlarms + 1 {
		a.cardChanged(CardChange{Agency: fmt.Sprintf("ag-%02d", i), Serial: uint64(i)})
	}
	_, got := a.get()
	if len(got) != maxAlarms || got[0].Serial != 1 || got[len(got)-1].Serial != maxAlarms {
		t.Fatalf("kept %d changes, serials %d to %d; want %d, 1 to %d", len(got), got[0].Serial, got[len(got)-1].Serial, maxAlarms, maxAlarms)
	}
	a.raise("refused")
	if alarm, _ := a.get(); alarm != "refused" {
		t.Fatalf("alarm %q", alarm)
	}
}

// messages is a slog handler that keeps each record's level and message.
type messages struct {
	mu   sync.Mutex
	recs []string
}

func (m *messages) Enabled(context.Context, slog.Level) bool { return true }
func (m *messages) WithAttrs([]slog.Attr) slog.Handler       { return m }
func (m *messages) WithGroup(string) slog.Handler            { return m }
func (m *messages) Handle(_ context.Context, r slog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r.Level.String()+" "+r.Message)
	return nil
}

func (m *messages) take() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := strings.Join(m.recs, "; ")
	m.recs = nil
	return s
}

// TestWarnExpiry walks the clock through the month before the roster in
// force expires and the hours after: a warning a day before, an error an
// hour after, each at most that often.
func TestWarnExpiry(t *testing.T) {
	expires := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	var now time.Time
	logged := &messages{}
	n := &Node{log: slog.New(logged)}
	n.o.Now = func() time.Time { return now }
	if last := n.warnExpiry(time.Time{}); !last.IsZero() || logged.take() != "" {
		t.Fatal("a warning before any roster")
	}
	n.roster.Store(&rosterInForce{roster: &protocol.Roster{Serial: 7, Expires: protocol.NewTime(expires)}})
	var last time.Time
	steps := []struct {
		at   time.Time
		want string // "" for nothing logged
	}{
		{expires.Add(-ExpiryWarning - time.Second), ""},
		{expires.Add(-ExpiryWarning), ""},
		{expires.Add(-ExpiryWarning + time.Second), "WARN the roster in force expires soon"},
		{expires.Add(-ExpiryWarning + 24*time.Hour), ""},
		{expires.Add(-ExpiryWarning + 24*time.Hour + time.Second), "WARN the roster in force expires soon"},
		{expires.Add(-time.Second), "WARN the roster in force expires soon"},
		{expires, ""},
		{expires.Add(time.Hour - time.Second), "ERROR the roster in force has expired"},
		{expires.Add(2*time.Hour - 2*time.Second), ""},
		{expires.Add(2*time.Hour - time.Second), "ERROR the roster in force has expired"},
	}
	for _, s := range steps {
		now = s.at
		last = n.warnExpiry(last)
		got := logged.take()
		if !strings.HasPrefix(got, s.want) || (s.want == "") != (got == "") {
			t.Errorf("at expiry %+v: logged %q, want %q", s.at.Sub(expires), got, s.want)
		}
	}
	// The moment it expires, with no warning for a long time.
	now = expires
	if n.warnExpiry(expires.Add(-24 * time.Hour)); !strings.HasPrefix(logged.take(), "ERROR the roster in force has expired") {
		t.Error("no error the moment the roster expires")
	}
}
