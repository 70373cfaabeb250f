package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/casenode/casenode/protocol"
)

// FanIn runs agencies nodes on one hub, each sending perAgency messages to
// the other agencies in turn, all at once, and measures the total until
// every sender has every delivered receipt.
func FanIn(ctx context.Context, dir string, kind protocol.RecipientKind, agencies, perAgency int, body []byte) (Result, error) {
	setup := time.Now()
	ln, ids, err := netFor(ctx, dir, kind, agencies)
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	ready := time.Since(setup)
	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, agencies)
	for i, a := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := func(k int) []string { return []string{ids[(i+1+k%(agencies-1))%agencies]} }
			if err := sendAll(ctx, ln.Node(a), perAgency, 2, body, to); err != nil {
				errc <- fmt.Errorf("%s: %w", a, err)
				return
			}
			if err := waitDelivered(ctx, ln.Node(a), int64(perAgency)); err != nil {
				errc <- fmt.Errorf("%s: %w", a, err)
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return Result{}, fmt.Errorf("fan-in: %w", err)
	}
	elapsed := time.Since(start)
	total := agencies * perAgency
	return Result{
		Name:  fmt.Sprintf("fanin/%d", agencies),
		Title: fmt.Sprintf("%d agencies on one hub, all sending to and receiving from each other", agencies),
		Params: map[string]any{"agencies": agencies, "messages_per_agency": perAgency, "body_bytes": len(body),
			"kind": string(kind), "network_setup_seconds": ready.Seconds()},
		Messages: total, Seconds: elapsed.Seconds(), PerSecond: rate(total, elapsed),
	}, nil
}
