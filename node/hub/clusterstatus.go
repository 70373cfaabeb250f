package hub

import (
	"context"
	"fmt"
	"slices"
	"strings"

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
}

// Safe says whether losing one more server keeps this stream or consumer
// whole: it has a leader and every one of its replicas is current.
func (r *ReplicaState) Safe() bool {
	return r.Leader != "" && len(r.Behind) == 0 && len(r.Current) == r.Replicas
}

// String describes r on one line.
func (r *ReplicaState) String() string {
	name := r.Stream
	if r.Consumer != "" {
		name += " > " + r.Consumer
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

// ClusterStatus reads, over the admin connection nc, the state of the
// replicas of every stream and consumer of the hub, sorted by name. On a
// clustered hub, a server may be stopped only when every one is Safe:
// otherwise the two left may not hold a quorum of current copies, and the
// group stalls until the stopped server is back (docs/OPERATOR.md §5c).
func ClusterStatus(ctx context.Context, nc *nats.Conn) ([]ReplicaState, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	var out []ReplicaState
	// Each stream's information from its leader, by name: a listing
	// answered while a server is away may hold partial entries.
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		st, err := js.Stream(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", name, err)
		}
		si := st.CachedInfo()
		out = append(out, replicaState(name, "", si.Config.Replicas, si.Cluster))
		cons := st.ListConsumers(ctx)
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
		if err := cons.Err(); err != nil {
			return nil, fmt.Errorf("list the consumers of %s: %w", name, err)
		}
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("list the streams: %w", err)
	}
	slices.SortFunc(out, func(a, b ReplicaState) int {
		return strings.Compare(a.Stream+"\x00"+a.Consumer, b.Stream+"\x00"+b.Consumer)
	})
	return out, nil
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
