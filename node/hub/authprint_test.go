package hub

import (
	"testing"
	"time"
)

// TestReloadReconfiguresNATSOnlyWhenNeeded: renewing the roster changes
// nothing NATS enforces, so it does not reconfigure NATS (each
// reconfiguration races with members' traffic inside nats-server,
// nats-io/nats-server#8499); admitting a member does, and its node can
// then connect.
func TestReloadReconfiguresNATSOnlyWhenNeeded(t *testing.T) {
	n := newTestNet(t, "gh-ag")
	before := n.hub.natsReloads
	s, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := s.Renew(time.Now())
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.hub.Reload(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if got := n.hub.Roster().Roster.Serial; got != renewed.Roster.Serial {
		t.Fatalf("roster in force %d, want the renewed %d", got, renewed.Roster.Serial)
	}
	if n.hub.natsReloads != before {
		t.Errorf("a renewal reconfigured NATS %d times", n.hub.natsReloads-before)
	}
	n.add(t, "sn-pj")
	if err := n.hub.Reload(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n.hub.natsReloads == before {
		t.Error("an admission did not reconfigure NATS")
	}
	c := n.connect(t, "sn-pj")
	c.nc.Close()
}
