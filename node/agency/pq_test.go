package agency_test

import (
	"context"
	"testing"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// TestPostQuantum runs a network with the default hybrid ML-KEM-768 +
// X25519 keys.
func TestPostQuantum(t *testing.T) {
	w := newNetwork(t, netOptions{Kind: protocol.KindHybrid}, "sn-pj-dakar", "gh-ag", "ml-pj-bamako")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	id := send(t, a, protocol.TypeRequest, "sn-2025-0042", "gh-ag", "ml-pj-bamako")
	waitState(t, a, id, agency.CopyDelivered, "gh-ag", "ml-pj-bamako")
	if _, err := b.Show(context.Background(), actor, id); err != nil {
		t.Fatal(err)
	}
	waitState(t, a, id, agency.CopyRead, "gh-ag")
}
