package agency_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

// TestExpiredRosterNotTaken has the hub serve a roster with the next serial
// that has already expired by the node's clock: the node keeps the roster
// in force, logs why, and records nothing of the expired one.
func TestExpiredRosterNotTaken(t *testing.T) {
	var clock testClock
	errs := &errorLog{}
	w := newNetwork(t, netOptions{Node: func(o *agency.Options) {
		clock.options(o)
		o.Logger = slog.New(errs)
	}}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	ctx := context.Background()
	cur, err := hub.LoadRoster(w.hubDir)
	if err != nil {
		t.Fatal(err)
	}
	secID, err := identity.Load(filepath.Join(w.hubDir, hub.SecretariatDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	next := *cur.Roster
	next.Serial++
	next.Expires = protocol.NewTime(next.Issued.Add(time.Hour))
	expired, err := hub.SignRoster(secID.Signing, &next)
	if err != nil {
		t.Fatal(err)
	}
	// Two hours on, by the node's clock: the roster in force (valid for
	// months) still is, the next one expired an hour ago.
	clock.set(2 * time.Hour)
	if err := os.WriteFile(filepath.Join(w.hubDir, hub.RosterFile), expired.JWS, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.hub.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("roster serial %d expired at %s", next.Serial, next.Expires)
	taken := func() bool {
		s, err := a.Status(ctx)
		return err == nil && s.Roster != nil && s.Roster.Serial == next.Serial
	}
	poll.Until(t, 30*time.Second, "the node to refuse or take the expired roster", func() bool { return errs.has("roster refused", want) || taken() })
	s, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Roster.Serial != cur.Roster.Serial || s.Roster.Expired {
		t.Fatalf("roster in force: %+v, want serial %d, not expired", s.Roster, cur.Roster.Serial)
	}
	if !errs.has("roster refused", want) {
		t.Errorf("no error logged saying %q; errors: %q", want, errs.recs)
	}
	for _, r := range w.audit("sn-pj-dakar") {
		if r.Type == auditlog.TypeRoster && bytes.Equal(r.Payload, expired.JWS) {
			t.Errorf("the expired roster is in the audit log (record %d)", r.Seq)
		}
	}
	if err := a.OfferRoster(ctx, expired.JWS); err == nil {
		t.Error("offered again, the expired roster is taken")
	}
}

// TestRosterRecordsNewAndChangedCardsOnly admits a member while the node
// runs: the node records the new member's card, once, and none of the cards
// it already held.
func TestRosterRecordsNewAndChangedCardsOnly(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	keyRecords := func() map[string]int {
		out := map[string]int{}
		for _, r := range w.audit("sn-pj-dakar") {
			if r.Type == auditlog.TypeKey {
				out[r.Actor]++
			}
		}
		return out
	}
	before := keyRecords()
	newcomer, err := identity.Generate(w.network, "ne-mj", "Agency ne-mj", "NE", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sr := w.changeRoster("sn-pj-dakar", func(sec *hub.Secretariat) (*hub.SignedRoster, error) {
		return sec.Add(newcomer.Card, filepath.Join(t.TempDir(), "ne-mj.creds"), time.Now())
	})
	after := keyRecords()
	if after["ne-mj"] != 1 {
		t.Errorf("%d key records of the new member, want 1", after["ne-mj"])
	}
	for agency, n := range before {
		if after[agency] != n {
			t.Errorf("key records of %s: %d before roster serial %d, %d after; want no new one for an unchanged card", agency, n, sr.Roster.Serial, after[agency])
		}
	}
}

// warnings keeps the messages of the records at warning level and above.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (l *warnings) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelWarn }
func (l *warnings) WithAttrs([]slog.Attr) slog.Handler               { return l }
func (l *warnings) WithGroup(string) slog.Handler                    { return l }
func (l *warnings) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}

func (l *warnings) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.msgs)
}

// TestRosterPushedIsTakenAtOnce: with the roster read only once an hour,
// the node takes a new roster as soon as the hub publishes it, through its
// watch on the roster bucket, and never warns that it cannot watch.
func TestRosterPushedIsTakenAtOnce(t *testing.T) {
	logged := &warnings{}
	w := newNetwork(t, netOptions{Node: func(o *agency.Options) {
		o.RosterInterval = time.Hour
		o.Logger = slog.New(logged)
	}}, "sn-pj-dakar", "gh-ag")
	w.changeRoster("sn-pj-dakar", func(sec *hub.Secretariat) (*hub.SignedRoster, error) { return sec.Renew(time.Now()) })
	for _, m := range logged.all() {
		if strings.Contains(m, "cannot watch the roster") {
			t.Errorf("warned: %q", m)
		}
	}
}
