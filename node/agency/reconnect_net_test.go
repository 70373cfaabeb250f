package agency_test

import (
	"context"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// TestBackSoonAfterTheHub stops the hub for ten seconds — long enough for
// a back-off that doubles without a low bound to wait eight seconds more —
// and starts it again on the same port: nodes with the default reconnect
// options are online again within five seconds of the hub listening, and
// messages flow.
func TestBackSoonAfterTheHub(t *testing.T) {
	w := newNetwork(t, netOptions{Node: func(o *agency.Options) { o.ReconnectWait, o.MaxReconnectWait = 0, 0 }}, "sn-pj-dakar", "gh-ag")
	w.stopHub()
	down := time.Now()
	for _, a := range []string{"sn-pj-dakar", "gh-ag"} {
		poll.Until(t, 20*time.Second, a+" offline", func() bool {
			s, err := w.node(a).Status(context.Background())
			return err == nil && s.Hub.State == "offline"
		})
	}
	poll.Until(t, 20*time.Second, "ten seconds of outage", func() bool { return time.Since(down) >= 10*time.Second })
	w.restartHub()
	listening := time.Now()
	for _, a := range []string{"sn-pj-dakar", "gh-ag"} {
		poll.Until(t, 60*time.Second, a+" online again", func() bool {
			s, err := w.node(a).Status(context.Background())
			return err == nil && s.Hub.State == "online"
		})
	}
	back := time.Since(listening)
	t.Logf("both nodes online %s after the hub listened again", back.Round(time.Millisecond))
	if back > 5*time.Second {
		t.Errorf("nodes back %s after the hub, want within 5s", back)
	}
	id := send(t, w.node("sn-pj-dakar"), protocol.TypeLead, "", "gh-ag")
	waitState(t, w.node("sn-pj-dakar"), id, agency.CopyDelivered, "gh-ag")
}
