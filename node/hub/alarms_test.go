package hub

import (
	"slices"
	"testing"
	"time"
)

// TestAlarms: a member silent longer than member_silent_after, a member
// over its limits, the roster and the TLS certificate expiring within
// AlarmAhead raise alarms; a connected member and the secretariat do not.
func TestAlarms(t *testing.T) {
	n := newTLSNet(t, false, "gh-ag", "ne-mj")
	ctx := ctxT(t)
	n.connect(t, "ne-mj")
	now := time.Now()
	as, err := n.hub.Alarms(ctx, now)
	if err != nil || len(as) != 0 {
		t.Fatalf("alarms of a new hub: %+v %v", as, err)
	}
	if err := n.hub.quotas.admit("ne-mj", n.hub.cfg.MemberLimits.StoredBytes+1, now); err == nil {
		t.Fatal("a publication over the stored bytes was admitted")
	}
	later := now.Add(time.Duration(n.hub.cfg.MemberSilentAfter) + time.Hour)
	as, err = n.hub.Alarms(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	kinds := func(as []Alarm) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Kind+" "+a.Agency+" "+a.Detail)
		}
		slices.Sort(out)
		return out
	}
	want := []string{"over_limits ne-mj member_limits.stored_bytes", "silent gh-ag "}
	if got := kinds(as); !slices.Equal(got, want) {
		t.Errorf("alarms %q, want %q", got, want)
	}
	end := n.hub.tls.Certificates[0].Leaf.NotAfter
	as, err = n.hub.Alarms(ctx, n.hub.Roster().Roster.Expires.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := kinds(as)
	if !slices.Contains(got, "roster_expiry  ") || slices.Contains(got, "tls_expiry  ") != end.Before(n.hub.Roster().Roster.Expires.Add(AlarmAhead-24*time.Hour)) {
		t.Errorf("a day before the roster expires (certificate until %s): %q", end, got)
	}
	as, err = n.hub.Alarms(ctx, end.Add(-24*time.Hour))
	if err != nil || !slices.Contains(kinds(as), "tls_expiry  ") {
		t.Errorf("a day before the certificate expires: %q %v", kinds(as), err)
	}
}
