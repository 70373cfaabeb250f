package links

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// FlapSpec is a link that goes down for Down every Every during Run while
// the sender sends PerSecond messages a second: up for Every-Down, down
// for Down, again and again.
type FlapSpec struct {
	Run, Every, Down time.Duration
	PerSecond        float64
}

// Flap runs f: it counts what arrives as Cut does, and measures for each
// cut the time from the link's return until the hub has acknowledged
// every message sent before it (the queue drained), in Row.Drains; a
// queue not drained before the next cut counts as the time until that
// cut and is marked in Row.Undrained.
func Flap(ctx context.Context, c Config, f FlapSpec) (Row, error) {
	r := Row{Scenario: fmt.Sprintf("down %s every %s for %s", f.Down, f.Every, f.Run), Kind: KindFlap}
	if f.Down <= 0 || f.Every <= f.Down || f.Run < f.Every || f.PerSecond <= 0 {
		return r, fmt.Errorf("flap: want 0 < down < every <= run and a positive rate, got %+v", f)
	}
	w, err := newNetwork(ctx, c, "flap")
	if err != nil {
		return r, err
	}
	defer w.close()
	before := w.link.Meter.Publications()

	var mu sync.Mutex
	sent := 0
	type result struct {
		ids []string
		err error
	}
	done := make(chan result, 1)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	start := time.Now()
	go func() {
		ids, err := w.sendPaced(sctx, PaceSpec{Messages: int(f.Run.Seconds() * f.PerSecond), PerSecond: f.PerSecond}, func(string) {
			mu.Lock()
			sent++
			mu.Unlock()
		})
		done <- result{ids, err}
	}()

	cycles := int(f.Run / f.Every)
	for i := range cycles {
		at := start.Add(time.Duration(i)*f.Every + f.Every - f.Down)
		if err := sleepUntil(ctx, at); err != nil {
			return r, err
		}
		w.link.Cut()
		if err := sleepUntil(ctx, at.Add(f.Down)); err != nil {
			return r, err
		}
		if err := w.link.Restore(); err != nil {
			return r, err
		}
		back := time.Now()
		mu.Lock()
		queued := sent
		mu.Unlock()
		// The queue has until the next cut; after the last one, the
		// scenario's timeout.
		limit := at.Add(f.Every)
		last := i == cycles-1
		if last {
			limit = back.Add(c.Timeout)
		}
		for {
			cs, err := w.copies(ctx)
			if err != nil {
				return r, err
			}
			if acknowledged(cs, queued) {
				r.Drains = append(r.Drains, time.Since(back))
				break
			}
			if time.Now().After(limit) {
				if last {
					return r, fmt.Errorf("the queue of %d messages not drained %s after the last cut", queued, c.Timeout)
				}
				r.Drains = append(r.Drains, time.Since(back))
				r.Undrained++
				break
			}
			if err := sleepUntil(ctx, time.Now().Add(50*time.Millisecond)); err != nil {
				return r, err
			}
		}
	}
	res := <-done
	if res.err != nil {
		return r, fmt.Errorf("send: %w", res.err)
	}
	return r, w.tally(ctx, &r, res.ids, before)
}

// sleepUntil waits until t or the end of ctx.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
