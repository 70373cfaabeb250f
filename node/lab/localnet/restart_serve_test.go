package localnet

import (
	"context"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/hubconn"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestClusterRestartedServerServesMembers: a member connected only to a
// server that was restarted reads its inbox consumer and the roster, and
// its publications are answered.
func TestClusterRestartedServerServesMembers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n := newCluster(t, ctx)
	for i := range n.Servers() {
		try := func(when string) {
			cfg, err := config.LoadNode(n.AgencyDir("a1"))
			if err != nil {
				t.Fatal(err)
			}
			cfg.HubURLs = []string{n.hub(i).ClientURL()}
			nc, err := hubconn.Connect(cfg, nats.NoReconnect())
			if err != nil {
				t.Fatalf("%s: connect to %s: %v", when, serverName(i), err)
			}
			defer nc.Close()
			js, _ := jetstream.New(nc)
			actx, acancel := context.WithTimeout(ctx, 10*time.Second)
			defer acancel()
			if _, err := js.Consumer(actx, protocol.StreamName("wacap"), protocol.ConsumerName("a1")); err != nil {
				t.Errorf("%s: %s: consumer info: %v", when, serverName(i), err)
			}
			kv, err := js.KeyValue(actx, protocol.RosterBucket("wacap"))
			if err == nil {
				_, err = kv.Get(actx, protocol.RosterKey)
			}
			if err != nil {
				t.Errorf("%s: %s: roster: %v", when, serverName(i), err)
			}
		}
		try("before restart")
		if err := n.StopServer(i); err != nil {
			t.Fatal(err)
		}
		if err := n.StartServer(ctx, i); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, n, i)
		waitSafe(t, ctx, n)
		try("after restart")
	}
}
