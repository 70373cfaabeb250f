package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// FanIn runs agencies nodes on one hub, each sending perAgency messages to
// the other agencies in turn, all at once, and measures the total until
// every sender has every delivered receipt.
//
// Every node runs in this process, so all of them share the machine's cores
// (and its disk) with the hub, as the two nodes of the pipeline scenario do:
// the ratio to pipeline/1 is about how the hub and the nodes cope with many
// agencies, not about more hardware. The verifying pools are sized for that:
// a node's default is one worker per core, which is right when it has the
// machine to itself; here the nodes' workers together get one per core.
// Completion is watched by one poller for all the agencies, not one per
// agency, so that watching does not compete with the work for the cores.
func FanIn(ctx context.Context, dir string, kind protocol.RecipientKind, agencies, perAgency int, body []byte) (Result, error) {
	return FanInWatched(ctx, dir, kind, agencies, perAgency, body, nil)
}

// FanInWatched is FanIn with watch, when not nil, called as the measured
// part starts; the function it returns, as that part ends (a profile of
// that part alone, without the network's set-up). The hub's goroutines
// carry the profiler label side=hub and the nodes' side=node, so that a
// profile tells the hub's CPU from the nodes'.
func FanInWatched(ctx context.Context, dir string, kind protocol.RecipientKind, agencies, perAgency int, body []byte, watch func() func()) (Result, error) {
	setup := time.Now()
	workers := max(1, runtime.GOMAXPROCS(0)/agencies)
	ln, ids, err := netFor(ctx, dir, kind, agencies, workers)
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	ready := time.Since(setup)
	stop := func() {}
	if watch != nil {
		stop = watch()
	}
	start, cpu, alloc := time.Now(), cpuTime(), allocated()
	var wg sync.WaitGroup
	errc := make(chan error, agencies+1)
	sent := make([]chan struct{}, agencies)
	for i, a := range ids {
		sent[i] = make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(sent[i])
			to := func(k int) []string { return []string{ids[(i+1+k%(agencies-1))%agencies]} }
			if err := sendAll(ctx, ln.Node(a), perAgency, 2, body, to); err != nil {
				errc <- fmt.Errorf("%s: %w", a, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := waitAllDelivered(ctx, ln, ids, sent, int64(perAgency)); err != nil {
			errc <- err
		}
	}()
	wg.Wait()
	elapsed, cpu, alloc := time.Since(start), cpuTime()-cpu, allocated()-alloc
	stop()
	close(errc)
	if err := <-errc; err != nil {
		return Result{}, fmt.Errorf("fan-in: %w", err)
	}
	total := agencies * perAgency
	return Result{
		Name:  fmt.Sprintf("fanin/%d", agencies),
		Title: fmt.Sprintf("%d agencies on one hub, all sending to and receiving from each other", agencies),
		Params: map[string]any{"agencies": agencies, "messages_per_agency": perAgency, "body_bytes": len(body),
			"kind": string(kind), "network_setup_seconds": ready.Seconds(), "workers_per_node": workers},
		Messages: total, Seconds: elapsed.Seconds(), PerSecond: rate(total, elapsed),
		Values: allocValues(cpuValues(nil, cpu, total), alloc, total),
	}, nil
}

// waitAllDelivered polls every sender in turn until each has want copies
// delivered (or read), every 50 ms: a status of each of 100 nodes every
// 10 ms was 2.5% of the scenario's CPU, and 50 ms is under 1% of a run of
// a few seconds. A sender is polled only once its sends returned (sent,
// in the order of ids, is closed then), as pipeline/N polls its sender
// after its last send: polling a hundred nodes while they all send was
// 2.3% of the scenario's CPU at 50 ms.
func waitAllDelivered(ctx context.Context, ln *localnet.Net, ids []string, sent []chan struct{}, want int64) error {
	left := slices.Clone(ids)
	done := make(map[string]<-chan struct{}, len(ids))
	for i, a := range ids {
		done[a] = sent[i]
	}
	for {
		var still []string
		for _, a := range left {
			select {
			case <-done[a]:
			default:
				still = append(still, a)
				continue
			}
			st, err := ln.Node(a).Status(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", a, err)
			}
			if rejected := st.Outbox.Copies[agency.CopyRejected]; rejected > 0 {
				return fmt.Errorf("%s: %d copies rejected", a, rejected)
			}
			if st.Outbox.Copies[agency.CopyDelivered]+st.Outbox.Copies[agency.CopyRead] < want {
				still = append(still, a)
			}
		}
		if left = still; len(left) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d agencies still wait for delivered receipts: %w", len(left), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
