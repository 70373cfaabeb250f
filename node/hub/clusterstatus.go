package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ReplicaState is the state of the replicas of one of the hub's streams
// (buckets are streams) or inbox consumers, as its leader reports it.
type ReplicaState struct {
	// Stream is the stream's name; Consumer the consumer's, or empty for
	// the stream itself.
	Stream, Consumer string
	// Leader is the server that leads its group; empty without one.
	Leader string
	// Replicas is how many copies it is configured with.
	Replicas int
	// Current lists the servers whose copy is current, the leader's
	// included; Behind those whose copy is not, each with why.
	Current, Behind []string
	// Unanswered: its leader did not answer in time (a server catching
	// up, a leader being elected); nothing else is known of it. A
	// Consumer of "*" stands for the consumers of a stream that could not
	// be listed.
	Unanswered bool
}

// Safe says whether losing one more server keeps this stream or consumer
// whole: it has a leader and every one of its replicas is current.
func (r *ReplicaState) Safe() bool {
	return !r.Unanswered && r.Leader != "" && len(r.Behind) == 0 && len(r.Current) == r.Replicas
}

// String describes r on one line.
func (r *ReplicaState) String() string {
	name := r.Stream
	if r.Consumer != "" {
		name += " > " + r.Consumer
	}
	if r.Unanswered {
		return fmt.Sprintf("%s: no answer within %s (a server catching up or a leader being elected)", name, statusRequestTimeout)
	}
	leader := r.Leader
	if leader == "" {
		leader = "none"
	}
	s := fmt.Sprintf("%s: leader %s, %d of %d replicas current", name, leader, len(r.Current), r.Replicas)
	if len(r.Behind) > 0 {
		s += " (" + strings.Join(r.Behind, ", ") + ")"
	}
	return s
}

// statusRequestTimeout bounds each request of ClusterStatus. A server
// just restarted may leave a request about a group it is still catching
// up with unanswered; one group that does not answer must not hide the
// others, nor hold the whole status until its deadline.
const statusRequestTimeout = 4 * time.Second

// ClusterStatus reads, over the admin connection nc, the state of the
// replicas of every stream and consumer of the hub, sorted by name. On a
// clustered hub, a server may be stopped only when every one is Safe:
// otherwise the two left may not hold a quorum of current copies, and the
// group stalls until the stopped server is back (docs/OPERATOR.md §5c). A
// stream whose leader does not answer within statusRequestTimeout is
// listed as such (not Safe), without its consumers.
func ClusterStatus(ctx context.Context, nc *nats.Conn) ([]ReplicaState, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	names, err := streamNames(ctx, js)
	if err != nil {
		return nil, err
	}
	var out []ReplicaState
	for _, name := range names {
		// Each stream's information from its leader, by name: a listing
		// answered while a server is away may hold partial entries.
		rctx, cancel := context.WithTimeout(ctx, statusRequestTimeout)
		st, err := js.Stream(rctx, name)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("read stream %s: %w", name, ctx.Err())
			}
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, nats.ErrNoResponders) {
				return nil, fmt.Errorf("read stream %s: %w", name, err)
			}
			out = append(out, ReplicaState{Stream: name, Unanswered: true})
			continue
		}
		si := st.CachedInfo()
		out = append(out, replicaState(name, "", si.Config.Replicas, si.Cluster))
		rctx, cancel = context.WithTimeout(ctx, statusRequestTimeout)
		cons := st.ListConsumers(rctx)
		for ci := range cons.Info() {
			replicas := ci.Config.Replicas
			if replicas == 0 {
				replicas = si.Config.Replicas
			}
			cl := ci.Cluster
			if si.Config.Replicas <= 1 && (cl == nil || cl.Leader == "" && len(cl.Replicas) == 0) {
				// A hub that runs alone reports no group for its
				// consumers: they live with the stream.
				cl = si.Cluster
			}
			out = append(out, replicaState(name, ci.Name, replicas, cl))
		}
		err = cons.Err()
		cancel()
		if err != nil {
			if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
				return nil, fmt.Errorf("list the consumers of %s: %w", name, err)
			}
			out = append(out, ReplicaState{Stream: name, Consumer: "*", Unanswered: true})
		}
	}
	slices.SortFunc(out, func(a, b ReplicaState) int {
		return strings.Compare(a.Stream+"\x00"+a.Consumer, b.Stream+"\x00"+b.Consumer)
	})
	return out, nil
}

// streamNames lists the hub's streams, asking again when the listing does
// not come within statusRequestTimeout, until ctx ends.
func streamNames(ctx context.Context, js jetstream.JetStream) ([]string, error) {
	for {
		rctx, cancel := context.WithTimeout(ctx, statusRequestTimeout)
		var names []string
		l := js.StreamNames(rctx)
		for name := range l.Name() {
			names = append(names, name)
		}
		err := l.Err()
		cancel()
		if err == nil {
			return names, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("list the streams: %w", err)
		}
	}
}

// replicaState reads one group's cluster information.
func replicaState(stream, consumer string, replicas int, ci *jetstream.ClusterInfo) ReplicaState {
	r := ReplicaState{Stream: stream, Consumer: consumer, Replicas: max(replicas, 1)}
	if ci == nil {
		return r
	}
	r.Leader = ci.Leader
	if r.Leader != "" {
		r.Current = append(r.Current, r.Leader)
	}
	for _, p := range ci.Replicas {
		switch {
		case p.Offline:
			r.Behind = append(r.Behind, p.Name+" offline")
		case p.Pending:
			r.Behind = append(r.Behind, p.Name+" joining")
		case !p.Current:
			r.Behind = append(r.Behind, fmt.Sprintf("%s %d behind", p.Name, p.Lag))
		default:
			r.Current = append(r.Current, p.Name)
		}
	}
	return r
}
