package agency

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The inbox's leader at the hub.
//
// On a clustered hub the agency's inbox consumer has a leader, the one
// server that delivers. When that server dies, another takes over with the
// consumer's state as the servers had replicated it: it may deliver again
// sequences the dead one had used, or count as delivered messages that
// went into the dead server's route and were lost, and it says nothing to
// the node (the old leader cannot send its "leadership changed" any more).
// The node learns of it itself: when the deliveries' heartbeats stop
// (pullHeartbeat) and when it has a new connection, it holds what comes
// next and asks the hub for the inbox's leader; the same leader lets the
// held deliveries go on in order, another one (or none found within
// leaderCheckTimeout) ends the consumption, and the next one rewinds the
// inbox to its last acknowledged message before anything later is
// accepted.

const (
	// pullHeartbeat is how often the leader of the inbox on a clustered
	// hub says, while a pull request waits, that it is there: two missed,
	// and the node checks the leader.
	pullHeartbeat = time.Second
	// leaderCheckTimeout bounds the check of the inbox's leader; a check
	// that finds none in that time rewinds the inbox.
	leaderCheckTimeout = 10 * time.Second
	// maxHeld bounds the deliveries held during a check; past it, the
	// node rewinds the inbox rather than hold more.
	maxHeld = 2 * pullBatch
)

// inboxGate passes one consumption's deliveries on to the pipeline in the
// order they came, or holds them while a check of the inbox's leader runs.
type inboxGate struct {
	in chan<- jetstream.Msg
	// stopped reports whether the consumption is ending: nothing more is
	// passed on.
	stopped func() bool

	mu       sync.Mutex
	checking bool
	held     []jetstream.Msg
}

// pass hands m on, or holds it behind a check that runs. It reports false
// when too many are held.
func (g *inboxGate) pass(ctx context.Context, m jetstream.Msg) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.checking {
		g.held = append(g.held, m)
		return len(g.held) <= maxHeld
	}
	g.send(ctx, m)
	return true
}

// send hands m to the pipeline unless the consumption is ending. g.mu is
// held, so that later deliveries wait for it.
func (g *inboxGate) send(ctx context.Context, m jetstream.Msg) {
	if g.stopped() {
		return
	}
	select {
	case g.in <- m:
	case <-ctx.Done():
	}
}

// hold starts holding deliveries; it reports false when a check already
// holds them.
func (g *inboxGate) hold() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.checking {
		return false
	}
	g.checking = true
	return true
}

// release passes on, in order, what was held, and stops holding.
func (g *inboxGate) release(ctx context.Context) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, m := range g.held {
		g.send(ctx, m)
		g.held[i] = nil
	}
	g.held, g.checking = g.held[:0], false
}

// inboxLeader asks the hub which server leads the inbox consumer now, until
// one is named or leaderCheckTimeout passes (a leader just lost: the others
// elect one within seconds).
func inboxLeader(ctx context.Context, cons jetstream.Consumer) (string, error) {
	deadline := time.Now().Add(leaderCheckTimeout)
	for {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ci, err := cons.Info(ictx)
		cancel()
		if err == nil {
			if l := consumerLeader(ci); l != "" {
				return l, nil
			}
			err = errors.New("the inbox has no leader at the hub")
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// consumerLeader is the server that leads a consumer with replicas, as
// its information says; "" for one without (a hub that runs alone).
func consumerLeader(ci *jetstream.ConsumerInfo) string {
	if ci == nil || ci.Cluster == nil || len(ci.Cluster.Replicas) == 0 {
		return ""
	}
	return ci.Cluster.Leader
}
