package links

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"
)

var (
	full   = flag.Bool("full", false, "run the full-size scenarios (make links): minutes, not seconds")
	format = flag.Int("format", 0, "the sealed format the sender writes (1 or 2; 0: the current one)")
)

// TestLinks runs the degraded-link scenarios (short unless -full) and
// holds them to the targets: after a cut, every message delivered
// once, in order, the backlog drained with at most 3% more bytes than the
// messages' own; during a stall, the node says so and publishes nothing
// again into the stalled connection; after it, everything delivered.
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
	if *full {
		os.Stdout.WriteString(b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Lost != 0 || r.OutOfOrder != 0 || r.Delivered != r.Sent {
			t.Errorf("%s: %d sent, %d delivered, %d lost, %d out of order", r.Scenario, r.Sent, r.Delivered, r.Lost, r.OutOfOrder)
		}
	}
	stall := rows[len(rows)-1]
	for _, cut := range rows[:len(rows)-1] {
		if cut.Overhead() > 0.03 {
			t.Errorf("%s: draining the backlog took %d bytes for %d of the messages' own (+%.1f%%, %d duplicated), want at most +3%%",
				cut.Scenario, cut.WireBytes, cut.OwnBytes, 100*cut.Overhead(), cut.Duplicated)
		}
		if cut.RosterFailures != 0 {
			t.Errorf("%s: %d roster reads failed after the link came back", cut.Scenario, cut.RosterFailures)
		}
	}
	if stall.StallSeenState == "" {
		t.Errorf("%s: the node's status never left online", stall.Scenario)
	}
	if stall.RepublishedInStall != 0 {
		t.Errorf("%s: %d publications repeated into the stalled connection", stall.Scenario, stall.RepublishedInStall)
	}
}
