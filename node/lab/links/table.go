package links

import (
	"fmt"
	"io"
	"time"
)

// WriteTable prints rows for people.
func WriteTable(w io.Writer, c Config, rows []Row) {
	v := "current"
	if c.FormatVersion != 0 {
		v = fmt.Sprint(c.FormatVersion)
	}
	fmt.Fprintf(w, "sender's link: %d ± %d ms each way, %d KB/s up, %s keys, %d-byte leads, format %s\n\n", c.LatencyMS, c.JitterMS, c.RateKB, c.Kind, c.BodySize, v)
	fmt.Fprintf(w, "%-24s %5s %9s %4s %10s %12s %11s %9s %9s %9s %s\n",
		"scenario", "sent", "delivered", "lost", "duplicated", "out of order", "bytes/msg", "overhead", "drain", "reconnect", "roster reads failed / stall seen")
	for _, r := range rows {
		per := 0.0
		if r.Sent > 0 {
			per = float64(r.WireBytes) / float64(r.Sent)
		}
		stall := "-"
		if r.StallSeenState != "" {
			stall = fmt.Sprintf("%s after %s, %d republished into it", r.StallSeenState, round(r.StallSeen), r.RepublishedInStall)
		} else if r.Scenario[:5] == "stall" {
			stall = fmt.Sprintf("never, %d republished into it", r.RepublishedInStall)
		}
		reconnect := "-"
		if r.Reconnect > 0 {
			reconnect = round(r.Reconnect).String()
			stall = fmt.Sprintf("%d roster reads failed", r.RosterFailures)
		}
		fmt.Fprintf(w, "%-24s %5d %9d %4d %10d %12d %11.0f %8.1f%% %9s %9s %s\n",
			r.Scenario, r.Sent, r.Delivered, r.Lost, r.Duplicated, r.OutOfOrder, per, 100*r.Overhead(), round(r.Drain), reconnect, stall)
	}
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
