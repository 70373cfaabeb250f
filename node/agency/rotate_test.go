package agency_test

import (
	"context"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

// TestKeyRotation rotates an agency's keys: until the secretariat installs
// the new card, its node signs with the previous key and decrypts with
// both; afterwards it signs with the new one, and both directions keep
// working throughout.
func TestKeyRotation(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	w.stopNode("sn-pj-dakar")
	old, rotated, err := identity.Rotate(w.nodes["sn-pj-dakar"].dir, nil, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a, b := w.start("sn-pj-dakar"), w.node("gh-ag")
	w.waitReady("sn-pj-dakar", 3)

	// The roster still lists the previous key.
	out := send(t, a, protocol.TypeLead, "", "gh-ag")
	in := send(t, b, protocol.TypeLead, "", "sn-pj-dakar")
	waitState(t, a, out, agency.CopyDelivered, "gh-ag")
	waitState(t, b, in, agency.CopyDelivered, "sn-pj-dakar")
	if m, err := b.Show(context.Background(), actor, out); err != nil || m.Header.Kid != old.KeyID() {
		t.Fatalf("before the new card: signed with %v (%v), want the previous key %s", m, err, old.KeyID())
	}

	sec, err := hub.OpenSecretariat(w.hubDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sec.Rotate(rotated.Card, hub.RotateOptions{Overlap: time.Hour}, time.Now())
	sec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.hub.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"sn-pj-dakar", "gh-ag"} {
		poll.Until(t, 10*time.Second, n+" to take the new card", func() bool {
			s, _ := w.node(n).Status(context.Background())
			return s.Roster.Serial == 4
		})
	}
	out = send(t, a, protocol.TypeLead, "", "gh-ag")
	in = send(t, b, protocol.TypeLead, "", "sn-pj-dakar")
	waitState(t, a, out, agency.CopyDelivered, "gh-ag")
	waitState(t, b, in, agency.CopyDelivered, "sn-pj-dakar")
	if m, err := b.Show(context.Background(), actor, out); err != nil || m.Header.Kid != rotated.KeyID() {
		t.Fatalf("after the new card: signed with %v (%v), want the new key %s", m, err, rotated.KeyID())
	}
}
