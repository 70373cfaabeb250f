package hub

import (
	"testing"

	"github.com/casenode/casenode/protocol"
)

// TestRosterBucketWithoutDirectGets: the roster bucket answers reads only
// through the JetStream API, never by direct get, whose handler in
// nats-server races with the configuration reload of every roster change;
// a restarted hub keeps it so.
func TestRosterBucketWithoutDirectGets(t *testing.T) {
	n := newTestNet(t, "gh-ag")
	check := func(when string) {
		t.Helper()
		st, err := n.hub.js.Stream(ctxT(t), "KV_"+protocol.RosterBucket(testNetwork))
		if err != nil {
			t.Fatal(err)
		}
		if st.CachedInfo().Config.AllowDirect {
			t.Errorf("%s: the roster bucket allows direct gets", when)
		}
	}
	check("first start")
	n.hub.Close()
	n.start(t)
	check("restart")
	c := n.connect(t, "gh-ag")
	kv, err := c.js.KeyValue(ctxT(t), protocol.RosterBucket(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	if e, err := kv.Get(ctxT(t), protocol.RosterKey); err != nil || len(e.Value()) == 0 {
		t.Errorf("a member reads the roster: %v", err)
	}
}
