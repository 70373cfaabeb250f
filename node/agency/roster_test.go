package agency_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

// TestRosterChanges admits a member and revokes another while the nodes
// run: the nodes take each new roster as the hub publishes it, send to the
// new member, and refuse to send to the revoked one.
func TestRosterChanges(t *testing.T) {
	w := newNetwork(t, netOptions{Idle: []string{"ne-mj"}}, "sn-pj-dakar", "gh-ag", "ml-pj-bamako")
	a := w.node("sn-pj-dakar")
	sec, err := hub.OpenSecretariat(w.hubDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sec.Revoke("ml-pj-bamako", time.Now())
	sec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.hub.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "the new roster", func() bool {
		s, _ := a.Status(context.Background())
		return s.Roster.Serial == 6 && s.Roster.Active == 4
	})
	// The sealer seals with the recipients parsed when the roster was
	// verified: one per member, the revoked one too.
	if s, _ := a.Status(context.Background()); a.RosterRecipients() != s.Roster.Members {
		t.Errorf("the sealers hold %d recipients of the roster, which has %d members", a.RosterRecipients(), s.Roster.Members)
	}
	_, err = a.Send(context.Background(), actor, agency.SendRequest{To: []string{"ml-pj-bamako"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)})
	if !errors.Is(err, agency.ErrInvalid) {
		t.Errorf("send to a revoked member: %v", err)
	}
	// The member admitted before the nodes started, idle until now, gets
	// what was sent to it meanwhile.
	id := send(t, a, protocol.TypeLead, "", "ne-mj")
	waitState(t, a, id, agency.CopyRelayed, "ne-mj")
	w.start("ne-mj")
	waitState(t, a, id, agency.CopyDelivered, "ne-mj")
}
