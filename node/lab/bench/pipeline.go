package bench

import (
	"context"
	"fmt"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// liftLimits raises the hub's member limits far above what a bench
// publishes: it measures the exchange, not the limits.
func liftLimits(h *config.Hub) {
	h.MemberLimits.MessagesPerSecond = 1_000_000
	h.MemberLimits.BytesPerSecond = 1 << 40
	h.MemberLimits.StoredMessages = 1 << 40
	h.MemberLimits.StoredBytes = 1 << 50
}

// netFor builds a network of n agencies a0…a(n-1) under dir, all running,
// each node with workers verifying goroutines (zero: the node's default,
// one per core).
func netFor(ctx context.Context, dir string, kind protocol.RecipientKind, n, workers int) (*localnet.Net, []string, error) {
	return netOn(ctx, dir, kind, n, workers, 1)
}

// netOn is netFor on a hub of servers servers (3: a NATS cluster, with
// three replicas of every stream).
func netOn(ctx context.Context, dir string, kind protocol.RecipientKind, n, workers, servers int) (*localnet.Net, []string, error) {
	agencies := make([]localnet.Agency, n)
	ids := make([]string, n)
	for i := range agencies {
		ids[i] = fmt.Sprintf("a%d", i)
		agencies[i] = localnet.Agency{ID: ids[i], Name: fmt.Sprintf("Agency %d", i), Country: "SN"}
	}
	lo := localnet.Options{Network: "bench", Kind: kind, Hub: liftLimits, Servers: servers}
	lo.Node = func(_ string, o *agency.Options) {
		// localnet reads the roster every second, so that tests see
		// changes at once; a deployed node reads it every minute (and
		// when the hub signals a change). At 100 agencies the test
		// interval alone was 100 reads a second of a 313 KB roster.
		o.RosterInterval = agency.DefaultRosterInterval
		if workers > 0 {
			o.Workers = workers
		}
	}
	// The goroutines started from here on inherit these labels: the hub's
	// (its server's included) side=hub, the nodes' side=node.
	defer pprof.SetGoroutineLabels(ctx)
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("side", "hub")))
	ln, err := localnet.Create(ctx, dir, lo, agencies...)
	if err != nil {
		return nil, nil, err
	}
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("side", "node")))
	for _, a := range ids {
		if _, err := ln.Start(ctx, a); err != nil {
			ln.Close()
			return nil, nil, err
		}
	}
	for _, a := range ids {
		if err := ln.WaitReady(ctx, a, n+1); err != nil {
			ln.Close()
			return nil, nil, err
		}
	}
	return ln, ids, nil
}

// sendAll sends messages from one node with senders goroutines, each
// message to the agencies to(i).
func sendAll(ctx context.Context, nd *agency.Node, messages, senders int, body []byte, to func(i int) []string) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, senders)
	for w := 0; w < senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= messages || ctx.Err() != nil {
					return
				}
				if _, err := nd.Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "bench"}, agency.SendRequest{To: to(i), Type: protocol.TypeLead, Body: body}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// waitDelivered polls a sender until want copies are delivered (or read).
func waitDelivered(ctx context.Context, nd *agency.Node, want int64) error {
	for {
		st, err := nd.Status(ctx)
		if err != nil {
			return err
		}
		done := st.Outbox.Copies[agency.CopyDelivered] + st.Outbox.Copies[agency.CopyRead]
		if rejected := st.Outbox.Copies[agency.CopyRejected]; rejected > 0 {
			return fmt.Errorf("%d copies rejected", rejected)
		}
		if done >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d copies delivered: %w", done, want, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Pipeline sends messages from one agency to recipients others through a
// real hub and real nodes, and measures until the sender has processed the
// last delivered receipt: sealed, logged, published, stored by the hub,
// consumed, verified, decrypted, de-duplicated, stored, logged, acked,
// receipted.
func Pipeline(ctx context.Context, dir string, kind protocol.RecipientKind, recipients, messages, senders int, body []byte) (Result, error) {
	return pipelineOn(ctx, dir, kind, recipients, messages, senders, 1, body)
}

// ClusterPipeline is Pipeline to one recipient through a hub on a NATS
// cluster of three servers on this machine, every stream with three
// replicas: what replication costs a sender.
func ClusterPipeline(ctx context.Context, dir string, kind protocol.RecipientKind, messages, senders int, body []byte) (Result, error) {
	r, err := pipelineOn(ctx, dir, kind, 1, messages, senders, 3, body)
	r.Name, r.Title = "cluster/1", "end to end, 1 agency → 1, through a hub of three servers (R3): send until the last delivered receipt is processed"
	return r, err
}

func pipelineOn(ctx context.Context, dir string, kind protocol.RecipientKind, recipients, messages, senders, servers int, body []byte) (Result, error) {
	ln, ids, err := netOn(ctx, dir, kind, recipients+1, 0, servers)
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	to := ids[1:]
	start, cpu, alloc := time.Now(), cpuTime(), allocated()
	if err := sendAll(ctx, ln.Node(ids[0]), messages, senders, body, func(int) []string { return to }); err != nil {
		return Result{}, fmt.Errorf("pipeline: send: %w", err)
	}
	sent := time.Since(start)
	if err := waitDelivered(ctx, ln.Node(ids[0]), int64(messages*recipients)); err != nil {
		return Result{}, fmt.Errorf("pipeline: %w", err)
	}
	elapsed, cpu, alloc := time.Since(start), cpuTime()-cpu, allocated()-alloc
	for _, r := range to {
		st, err := ln.Node(r).Status(ctx)
		if err != nil {
			return Result{}, err
		}
		if st.Inbox.Messages != int64(messages) {
			return Result{}, fmt.Errorf("pipeline: %s has %d messages in its inbox, want %d", r, st.Inbox.Messages, messages)
		}
	}
	return Result{
		Name:  fmt.Sprintf("pipeline/%d", recipients),
		Title: fmt.Sprintf("end to end, 1 agency → %d: send until the last delivered receipt is processed", recipients),
		Params: map[string]any{"recipients": recipients, "body_bytes": len(body), "kind": string(kind),
			"concurrent_senders": senders, "servers": servers},
		Messages: messages, Seconds: elapsed.Seconds(), PerSecond: rate(messages, elapsed),
		Values: allocValues(cpuValues(map[string]float64{"send_calls_per_second": rate(messages, sent)}, cpu, messages), alloc, messages),
	}, nil
}
