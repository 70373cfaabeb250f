package agency

import (
	"testing"
	"time"
)

// TestReconnectBackOff checks the schedule of connection attempts with the
// default options: a short first retry, then a bounded, jittered back-off,
// so that a node is back within a few seconds of the hub listening again
// however long the hub was away.
func TestReconnectBackOff(t *testing.T) {
	var o Options
	o.fill()
	n := &Node{o: o}
	if d := n.reconnectDelay(1); d > 500*time.Millisecond {
		t.Errorf("first retry after %s, want at most 500ms", d)
	}
	bound := 5 * time.Second / 2
	seen := map[time.Duration]bool{}
	for attempts := 1; attempts <= 1000; attempts++ {
		d := n.reconnectDelay(attempts)
		if d <= 0 || d > bound {
			t.Fatalf("attempt %d: delay %s, want within (0, %s]", attempts, d, bound)
		}
		if attempts > 10 {
			seen[d] = true
		}
	}
	if len(seen) < 100 {
		t.Errorf("%d distinct delays among 990 attempts at the bound: want jitter, so that nodes do not all come back at once", len(seen))
	}
}
