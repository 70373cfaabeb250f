package links

import (
	"context"
	"fmt"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/bench"
)

// PaceSpec is a run of Messages sent one after the other, PerSecond of
// them a second; zero PerSecond sends them all at once.
type PaceSpec struct {
	Messages  int
	PerSecond float64
}

// Steady sends p.Messages over the shaped link, without cuts, and
// measures what the link gives: Rate, the messages delivered a second
// from the first send until every delivered receipt is back; Latency,
// each message's time from its creation to its acceptance by the
// recipient (the inbox entry's Received time; both nodes share this
// process's clock). A burst (PerSecond zero) measures the link's
// throughput, a paced run below it the latency a prosecutor sees.
func Steady(ctx context.Context, c Config, p PaceSpec) (Row, error) {
	r := Row{Scenario: fmt.Sprintf("burst of %d", p.Messages), Kind: KindSteady}
	if p.PerSecond > 0 {
		r.Scenario = fmt.Sprintf("%d at %g/s", p.Messages, p.PerSecond)
	}
	w, err := newNetwork(ctx, c, fmt.Sprintf("steady-%d-%g", p.Messages, p.PerSecond))
	if err != nil {
		return r, err
	}
	defer w.close()
	before := w.link.Meter.Publications()
	start := time.Now()
	ids, err := w.sendPaced(ctx, p, nil)
	if err != nil {
		return r, err
	}
	if err := w.tally(ctx, &r, ids, before); err != nil {
		return r, err
	}
	r.Rate = float64(len(ids)) / time.Since(start).Seconds()
	return r, w.latency(ctx, &r, ids)
}

// sendPaced sends p.Messages leads from a0 to a1 at p.PerSecond (all at
// once if zero) and returns their ids in sending order. sent, if not nil,
// is told each id as it is sent.
func (w *network) sendPaced(ctx context.Context, p PaceSpec, sent func(id string)) ([]string, error) {
	if p.PerSecond <= 0 {
		ids, err := w.send(ctx, p.Messages)
		if sent != nil {
			for _, id := range ids {
				sent(id)
			}
		}
		return ids, err
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / p.PerSecond))
	defer tick.Stop()
	var ids []string
	for range p.Messages {
		select {
		case <-ctx.Done():
			return ids, ctx.Err()
		case <-tick.C:
		}
		one, err := w.send(ctx, 1)
		if err != nil {
			return ids, err
		}
		ids = append(ids, one...)
		if sent != nil {
			sent(one[0])
		}
	}
	return ids, nil
}

// latency fills r.Latency from a1's inbox entries of ids.
func (w *network) latency(ctx context.Context, r *Row, ids []string) error {
	inbox, err := w.ln.Node("a1").Inbox(ctx, agency.InboxQuery{})
	if err != nil {
		return err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var ds []time.Duration
	for _, m := range inbox {
		if want[m.ID] {
			ds = append(ds, m.Received.Sub(m.Created))
		}
	}
	if len(ds) != len(ids) {
		return fmt.Errorf("latency: %d of %d messages in the inbox", len(ds), len(ids))
	}
	pc := bench.PercentilesOf(ds)
	r.Latency = &pc
	return nil
}
