package agency

import (
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// TestRetryDelayBacksOffBehindAFence: a publication the hub refused behind
// an earlier one that failed goes again after 100 ms, then 200, 400, 800
// and at most 1.6 s (a constant 100 ms sent thousands of receipts a second
// into a fence during a failover); a timed-out acknowledgement goes again
// after 100 ms whatever the count.
func TestRetryDelayBacksOffBehindAFence(t *testing.T) {
	p := &publisher{}
	fence := &jetstream.APIError{Code: protocol.HubEarlierFirstCode, Description: "an earlier message first"}
	for fails, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: 1600 * time.Millisecond, 40: 1600 * time.Millisecond} {
		if got := p.retryDelay(fence, fails); got != want {
			t.Errorf("after %d refusals behind a fence: retry in %v, want %v", fails, got, want)
		}
	}
	if got := p.retryDelay(jetstream.ErrAsyncPublishTimeout, 7); got != 100*time.Millisecond {
		t.Errorf("after 7 timed-out acknowledgements: retry in %v, want 100ms", got)
	}
}
