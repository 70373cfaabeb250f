package agency_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// TestCountSyncs is not a test but the instrument of docs/PERFORMANCE.md's
// count of commits per message: run under strace, it marks with a getppid
// call the start and end of its three phases — the sender sends
// CASENODE_COUNT_SYNCS messages while the recipient is stopped, until every
// copy is relayed; then the recipient starts, receives them all and the
// sender takes the delivered receipts; then the sender sends as many again
// to the running recipient, until every copy is delivered —, so that the
// fdatasync calls of each phase (two per bbolt commit) can be counted. The messages are sent
// by CASENODE_COUNT_SENDERS goroutines (default 16):
//
//	CASENODE_COUNT_SYNCS=1000 strace -f -qq -e trace=fdatasync,getppid -o trace.txt \
//	    ./agency.test -test.run TestCountSyncs
//
// It is skipped unless CASENODE_COUNT_SYNCS is set.
func TestCountSyncs(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CASENODE_COUNT_SYNCS"))
	senders, _ := strconv.Atoi(os.Getenv("CASENODE_COUNT_SENDERS"))
	if senders <= 0 {
		senders = 16
	}
	if n <= 0 {
		t.Skip("set CASENODE_COUNT_SYNCS to a number of messages, and run under strace")
	}
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	w.stopNode("gh-ag")
	dakar := w.node("sn-pj-dakar")
	sendAll := func() {
		var next sync.Mutex
		i := 0
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				for {
					next.Lock()
					k := i
					i++
					next.Unlock()
					if k >= n {
						return
					}
					if _, err := dakar.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Case: "c-1", Body: protocol.Example(protocol.TypeLead)}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	copies := func(state agency.CopyState, want int) func() bool {
		return func() bool {
			s, err := dakar.Status(context.Background())
			return err == nil && s.Outbox.Copies[state] == int64(want)
		}
	}
	syscall.Getppid()
	sendAll()
	poll.Until(t, 10*time.Minute, "every copy relayed", copies(agency.CopyRelayed, n))
	syscall.Getppid()
	w.start("gh-ag")
	poll.Until(t, 10*time.Minute, "every copy delivered", copies(agency.CopyDelivered, n))
	syscall.Getppid()
	sendAll()
	poll.Until(t, 10*time.Minute, "every copy delivered", copies(agency.CopyDelivered, 2*n))
	syscall.Getppid()
}
