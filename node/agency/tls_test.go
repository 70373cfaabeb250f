package agency_test

import (
	"context"
	"testing"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// TestMutualTLS runs the nodes of a hub that serves mutual TLS with its
// network CA: they connect with tls:// URLs, the CA and their client
// certificates, and exchange a message and its receipts.
func TestMutualTLS(t *testing.T) {
	w := newNetwork(t, netOptions{TLS: true}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	if s, _ := a.Status(context.Background()); s.Hub.URL == "" || s.Hub.URL[:6] != "tls://" {
		t.Errorf("connected to %q, want a tls:// URL", s.Hub.URL)
	}
	id := send(t, a, protocol.TypeLead, "", "gh-ag")
	waitState(t, a, id, agency.CopyDelivered, "gh-ag")
}
