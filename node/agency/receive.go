package agency

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casenode/casenode/node/batch"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// Receiving pipeline sizes.
const (
	// pullBatch is how many messages the node asks the hub for at a time.
	pullBatch = 256
	// maxCommit bounds the jobs of one commit: one audit transaction, one
	// store transaction.
	maxCommit = 512
	// pullExpiry is how long a pull request of the node's stays at the
	// hub. A connection that went away (or a consumption the node ended)
	// can leave its pull requests there until they expire, and the hub
	// delivers to them first: the node waits for them to go before it
	// rewinds the inbox (waitStalePulls), so that short a wait.
	pullExpiry = 10 * time.Second
	// clusterPullExpiry is pullExpiry on a clustered hub, where the node
	// rewinds its inbox after each new leader of it: at most this long.
	clusterPullExpiry = 5 * time.Second
)

// receive binds the agency's inbox consumer, which the hub created, and
// feeds what it delivers through the pipeline until ctx ends. It waits for
// a roster first: nothing can be verified without one. When the consumer
// stops (the hub restarted and lost it, or refused it), receive binds it
// again with back-off.
func (n *Node) receive(ctx context.Context, js jetstream.JetStream) {
	for n.rosterNow() == nil {
		select {
		case <-ctx.Done():
			return
		case <-n.rosterCh:
		}
	}
	in := make(chan jetstream.Msg, pullBatch)
	var wg sync.WaitGroup
	wg.Go(func() { n.pipeline(ctx, in) })
	defer wg.Wait()

	wait := n.o.ReconnectWait
	for ctx.Err() == nil {
		if !n.waitActive(ctx) || !n.waitOnline(ctx) {
			return
		}
		err := n.consume(ctx, js, in)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			hint := ""
			if errors.Is(err, jetstream.ErrConsumerNotFound) {
				hint = "the hub has no inbox for this agency yet: is it active in the hub's roster? (retrying)"
			}
			n.log.Warn("cannot receive from the hub", "err", err, "hint", hint, "retry_in", wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, n.o.MaxReconnectWait)
		if err == nil {
			wait = n.o.ReconnectWait
		}
	}
}

// waitActive waits until the roster in force lists this agency as active:
// a revoked or suspended agency's credentials read the roster and nothing
// else. It reports false if ctx ended first.
func (n *Node) waitActive(ctx context.Context) bool {
	for {
		if !n.inactive() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-n.rosterCh:
		}
	}
}

// inactive reports whether the roster in force says that this agency is
// not an active member: revoked, suspended or absent.
func (n *Node) inactive() bool {
	rf := n.rosterNow()
	if rf == nil {
		return false
	}
	m := rf.roster.Member(n.cfg.Agency)
	return m == nil || m.Status != protocol.StatusActive
}

// waitOnline waits until the hub is reachable; it reports false if ctx
// ended first.
func (n *Node) waitOnline(ctx context.Context) bool {
	for {
		online, changed := n.hub.watch()
		if online {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		}
	}
}

// consume binds the consumer and pulls from it until it stops or ctx ends.
func (n *Node) consume(ctx context.Context, js jetstream.JetStream, in chan<- jetstream.Msg) error {
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	cons, err := js.Consumer(bctx, protocol.StreamName(n.cfg.Network), protocol.ConsumerName(n.cfg.Agency))
	cancel()
	if err != nil {
		return err
	}
	if err := n.waitStalePulls(ctx, cons); err != nil {
		return err
	}
	reset, err := n.rewindInbox(ctx, js)
	if err != nil {
		return err
	}
	stopped := make(chan error, 1)
	// A delivery that skips some (the consumer's sequence jumps: the
	// hub delivered them into a connection, or from a consumer leader,
	// that went away), or a new consumer leader, which may deliver again
	// what the old one delivered alongside what follows, ends this
	// consumption: the next one rewinds the inbox, and those come again
	// before anything later.
	gap := make(chan struct{})
	var rewinding atomic.Bool
	rewind := func(why string, args ...any) {
		if rewinding.CompareAndSwap(false, true) {
			n.log.Info(why+": rewinding the inbox", args...)
			close(gap)
		}
	}
	// The checks of the inbox's leader (inboxgate.go) end with the
	// consumption; none passes anything on after it.
	cctx, cancelChecks := context.WithCancel(ctx)
	var checks sync.WaitGroup
	var checksMu sync.Mutex // guards starting a check against the end
	defer checks.Wait()
	defer func() {
		checksMu.Lock()
		cancelChecks()
		checksMu.Unlock()
	}()
	gate := &inboxGate{in: in, stopped: func() bool { return rewinding.Load() || cctx.Err() != nil }}
	// leader is the server that led the inbox when the node bound it;
	// empty on a hub that runs alone, whose inbox has no other leader:
	// there the node pulls as it always did.
	leader := consumerLeader(cons.CachedInfo())
	pull := []jetstream.PullConsumeOpt{jetstream.PullMaxMessages(pullBatch), jetstream.PullExpiry(pullExpiry)}
	if leader != "" {
		pull = []jetstream.PullConsumeOpt{jetstream.PullMaxMessages(pullBatch), jetstream.PullExpiry(clusterPullExpiry), jetstream.PullHeartbeat(pullHeartbeat)}
	}
	check := func(why string) {
		checksMu.Lock()
		defer checksMu.Unlock()
		if leader == "" || rewinding.Load() || cctx.Err() != nil || !gate.hold() {
			return
		}
		checks.Go(func() {
			now, err := inboxLeader(cctx, cons)
			switch {
			case cctx.Err() != nil:
			case err != nil:
				rewind("cannot tell which server leads the inbox at the hub ("+why+")", "err", err)
			case now != leader:
				rewind("the inbox has a new leader at the hub ("+why+")", "was", leader, "now", now)
			default:
				gate.release(cctx)
			}
		})
	}
	// last is the consumer sequence of the last delivery; known once it
	// is: after a reset, the next delivery is the consumer's first.
	// lastStream is the stream sequence of the last first delivery.
	var last, lastStream uint64
	known := reset
	reconnects := js.Conn().Stats().Reconnects
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if rewinding.Load() {
			return
		}
		if r := js.Conn().Stats().Reconnects; r != reconnects {
			// The first delivery on a new connection: the server the
			// node was connected to may have led the inbox.
			reconnects = r
			check("a new connection")
		}
		if md, err := m.Metadata(); err == nil {
			if known && md.Sequence.Consumer > last+1 {
				rewind("the hub skipped some deliveries", "after", last, "next", md.Sequence.Consumer)
				return
			}
			if md.NumDelivered == 1 {
				// A first delivery comes after every earlier one, in
				// both sequences; one that does not is from a new leader
				// that did not know what the old one delivered.
				if known && md.Sequence.Consumer <= last || md.Sequence.Stream <= lastStream {
					rewind("the hub delivered out of sequence", "after", last, "next", md.Sequence.Consumer, "stream_after", lastStream, "stream_next", md.Sequence.Stream)
					return
				}
				lastStream = md.Sequence.Stream
			}
			last, known = max(last, md.Sequence.Consumer), true
		}
		if !gate.pass(ctx, m) {
			rewind("too many deliveries held while checking the inbox's leader")
		}
	}, append(pull, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConnectionClosed) {
			select {
			case stopped <- err:
			default:
			}
			return
		}
		if errors.Is(err, jetstream.ErrConsumerLeadershipChanged) {
			rewind("the inbox has a new leader at the hub")
			return
		}
		if errors.Is(err, jetstream.ErrNoHeartbeat) {
			// The server that led the inbox may be gone: what the
			// node's new pull request brings is held until the check.
			check("its heartbeats stopped")
			return
		}
		n.log.Debug("consumer", "err", err)
	}))...)
	if err != nil {
		return err
	}
	n.log.Info("receiving", "consumer", protocol.ConsumerName(n.cfg.Agency))
	// A new connection does not end the consumption: nats.go pulls again
	// on it, and what the hub delivered into the connection that went
	// away shows as a gap in the consumer's sequence, which ends the
	// consumption and rewinds the inbox (above). Ending it at every new
	// connection instead left what the hub delivered on the new one,
	// before the node bound it again, pending until the consumer's ack
	// wait (30 s): on a slow link, after every cut.
	select {
	case <-ctx.Done():
		cc.Stop()
		<-cc.Closed()
		return nil
	case err := <-stopped:
		cc.Stop()
		<-cc.Closed()
		return err
	case <-cc.Closed():
		return errors.New("the consumer stopped")
	case <-gap:
		cc.Stop()
		<-cc.Closed()
		return nil
	}
}

// pipeline verifies messages on a pool of workers and commits them in the
// order the hub delivered them, in batches, in two overlapping stages: the
// committer takes every job already verified, up to maxCommit, as one
// batch and queues its audit records; the persister waits for them, writes
// the store and acknowledges. Batches already in the audit log are
// finished when ctx ends.
func (n *Node) pipeline(ctx context.Context, in <-chan jetstream.Msg) {
	jobs := make(chan *job, 2*n.o.Workers)
	ordered := make(chan *job, maxCommit)
	recorded := make(chan *recording, maxPersist)
	var wg sync.WaitGroup
	defer wg.Wait()
	for range n.o.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-jobs:
					n.process(j, n.rosterNow(), n.o.Now())
					close(j.done)
				}
			}
		})
	}
	wg.Go(func() {
		defer close(recorded)
		n.committer(ctx, ordered, recorded)
	})
	wg.Go(func() {
		for r := range recorded {
			n.persist(ctx, batch.Drain([]*recording{r}, recorded, maxPersist))
		}
	})
	for {
		var m jetstream.Msg
		select {
		case <-ctx.Done():
			return
		case m = <-in:
		}
		j := &job{msg: m, done: make(chan struct{})}
		select {
		case <-ctx.Done():
			return
		case ordered <- j:
		}
		select {
		case <-ctx.Done():
			return
		case jobs <- j:
		}
	}
}

// committer gathers verified jobs in order into batches and records them.
func (n *Node) committer(ctx context.Context, ordered <-chan *job, recorded chan<- *recording) {
	var next *job
	for {
		if next == nil {
			select {
			case <-ctx.Done():
				return
			case next = <-ordered:
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-next.done:
		}
		batch := []*job{next}
		next = nil
	gather:
		for len(batch) < maxCommit {
			select {
			case j := <-ordered:
				select {
				case <-j.done:
					batch = append(batch, j)
				default:
					next = j
					break gather
				}
			default:
				break gather
			}
		}
		if r := n.record(batch); r != nil {
			recorded <- r
		}
	}
}

// waitStalePulls waits until the hub holds no pull request for the
// agency's inbox, at most a little over pullExpiry. Only this node pulls
// from it, so one there before the node pulls was left by a connection
// that went away, or by a consumption the node ended: the hub would
// deliver to it, into nothing, what the rewind that follows brings back,
// and the node would see those only after the consumer's ack wait.
func (n *Node) waitStalePulls(ctx context.Context, cons jetstream.Consumer) error {
	waiting := cons.CachedInfo().NumWaiting
	if waiting == 0 {
		return nil
	}
	n.log.Info("waiting for the hub to drop the inbox's pull requests of an earlier connection", "pull_requests", waiting)
	deadline := time.Now().Add(pullExpiry + 5*time.Second) // the longer of the two
	for waiting > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ci, err := cons.Info(ictx)
		cancel()
		if err != nil {
			return fmt.Errorf("read the inbox's state: %w", err)
		}
		waiting = ci.NumWaiting
	}
	return nil
}
