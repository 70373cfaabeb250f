package agency_test

import (
	"context"
	"testing"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// TestRestartKeepsState stops a sender with messages still queued (the hub
// is down) and checks that, opened again, it has its roster, its outbox
// and its queue, and delivers.
func TestRestartKeepsState(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	w.stopHub()
	id := send(t, w.node("sn-pj-dakar"), protocol.TypeLead, "c-1", "gh-ag")
	w.stopNode("sn-pj-dakar")

	// Offline, without Run: the roster and the queue come from the store.
	n, err := agency.Open(context.Background(), w.nodes["sn-pj-dakar"].dir, w.nodeOptions("sn-pj-dakar"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := n.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Running || s.Hub.State != "offline" || s.Roster == nil || s.Roster.Serial != 3 || s.Roster.Standing != "active" ||
		s.Outbox.Copies[agency.CopyQueued] != 1 || s.Audit.Records == 0 || s.Audit.Checkpoint == nil {
		t.Fatalf("status of a stopped node: %+v", s)
	}
	o := w.nodeOptions("sn-pj-dakar")
	o.LockTimeout = 50 * time.Millisecond
	if _, err := agency.Open(context.Background(), w.nodes["sn-pj-dakar"].dir, o); err == nil {
		t.Fatal("a second node opened the same directory")
	}
	n.Close()

	w.restartHub()
	a := w.start("sn-pj-dakar")
	waitState(t, a, id, agency.CopyDelivered, "gh-ag")

	// The audit log holds the configuration once, the roster and the
	// member cards it trusts before anything they signed.
	recs := w.audit("sn-pj-dakar")
	var configs, rosters, keys int
	for _, r := range recs {
		switch r.Type {
		case auditlog.TypeConfig:
			configs++
		case auditlog.TypeRoster:
			rosters++
		case auditlog.TypeKey:
			keys++
		}
	}
	if configs != 1 || rosters != 1 || keys != 3 {
		t.Errorf("audit log: %d config, %d roster, %d key records; want 1, 1, 3 (own card and two others)", configs, rosters, keys)
	}
}
