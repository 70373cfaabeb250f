package links

import (
	"context"
	"flag"
	"maps"
	"strings"
	"testing"
)

var (
	full   = flag.Bool("full", false, "run the full-size scenarios (make links): minutes, not seconds")
	format = flag.Int("format", 0, "the sealed format the sender writes (1 or 2; 0: the current one)")
)

// TestLinks runs the degraded-link scenarios (short unless -full) and
// holds them to the issues' targets: over a steady link, every message
// delivered once and in order, with its rate and latency measured; after
// a cut, the same, the backlog drained with at most 3% more bytes than the
// messages' own; over a link that goes down again and again, the same,
// and every cut's queue drained before the next; during a stall, the node
// says so and publishes nothing again into the stalled connection; after
// it, everything delivered.
func TestLinks(t *testing.T) {
	c := ShortConfig(t.TempDir())
	if *full {
		c = FullConfig(t.TempDir())
	}
	c.FormatVersion = *format
	ctx := context.Background()
	rows, err := Run(ctx, c)
	var b strings.Builder
	WriteTable(&b, c, rows)
	t.Log("\n" + b.String())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range rows {
		kinds[r.Kind]++
		if r.Lost != 0 || r.OutOfOrder != 0 || r.Delivered != r.Sent || r.Sent == 0 {
			t.Errorf("%s: %d sent, %d delivered, %d lost, %d out of order", r.Scenario, r.Sent, r.Delivered, r.Lost, r.OutOfOrder)
		}
		switch r.Kind {
		case KindSteady:
			if r.Duplicated != 0 {
				t.Errorf("%s: %d publications beyond one per message over a link that never dropped", r.Scenario, r.Duplicated)
			}
			if r.Rate <= 0 || r.Latency == nil || r.Latency.P99 < float64(c.LatencyMS) {
				t.Errorf("%s: rate %.1f msgs/s, latency %+v: want a rate and latencies of at least the link's %d ms", r.Scenario, r.Rate, r.Latency, c.LatencyMS)
			}
		case KindCut:
			if r.Overhead() > 0.03 {
				t.Errorf("%s: draining the backlog took %d bytes for %d of the messages' own (+%.1f%%, %d duplicated), want at most +3%%",
					r.Scenario, r.WireBytes, r.OwnBytes, 100*r.Overhead(), r.Duplicated)
			}
			if r.RosterFailures != 0 {
				t.Errorf("%s: %d roster reads failed after the link came back", r.Scenario, r.RosterFailures)
			}
		case KindFlap:
			if want := int(c.Flap.Run / c.Flap.Every); len(r.Drains) != want || r.Undrained != 0 {
				t.Errorf("%s: %d cuts measured, %d not drained before the next: want %d, all drained", r.Scenario, len(r.Drains), r.Undrained, want)
			}
		case KindStall:
			if r.StallSeenState == "" {
				t.Errorf("%s: the node's status never left online", r.Scenario)
			}
			if r.RepublishedInStall != 0 {
				t.Errorf("%s: %d publications repeated into the stalled connection", r.Scenario, r.RepublishedInStall)
			}
		}
	}
	if want := map[string]int{KindSteady: len(c.Steady), KindCut: len(c.Cuts), KindFlap: 1, KindStall: 1}; !maps.Equal(kinds, want) {
		t.Errorf("scenarios run: %v, want %v", kinds, want)
	}
}
