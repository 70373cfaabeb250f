package links

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteTable prints rows for people: the steady runs, then the cuts and
// the stall, then the flapping link, each with its own columns.
func WriteTable(w io.Writer, c Config, rows []Row) {
	v := "current"
	if c.FormatVersion != 0 {
		v = fmt.Sprint(c.FormatVersion)
	}
	fmt.Fprintf(w, "sender's link: %d ± %d ms each way, %d KB/s up, %s keys, %d-byte leads, format %s\n", c.LatencyMS, c.JitterMS, c.RateKB, c.Kind, c.BodySize, v)
	var steady, outages, flaps []Row
	for _, r := range rows {
		switch r.Kind {
		case KindSteady:
			steady = append(steady, r)
		case KindFlap:
			flaps = append(flaps, r)
		default:
			outages = append(outages, r)
		}
	}
	if len(steady) > 0 {
		fmt.Fprintf(w, "\n%-24s %5s %9s %4s %10s %12s %8s %s\n",
			"steady link", "sent", "delivered", "lost", "duplicated", "out of order", "msgs/s", "created → accepted by the recipient, p50 / p99 / max")
		for _, r := range steady {
			lat := "-"
			if r.Latency != nil {
				lat = fmt.Sprintf("%.0f / %.0f / %.0f ms", r.Latency.P50, r.Latency.P99, r.Latency.Max)
			}
			fmt.Fprintf(w, "%-24s %5d %9d %4d %10d %12d %8.1f %s\n", r.Scenario, r.Sent, r.Delivered, r.Lost, r.Duplicated, r.OutOfOrder, r.Rate, lat)
		}
	}
	if len(outages) > 0 {
		fmt.Fprintf(w, "\n%-24s %5s %9s %4s %10s %12s %11s %9s %9s %9s %s\n",
			"scenario", "sent", "delivered", "lost", "duplicated", "out of order", "bytes/msg", "overhead", "drain", "reconnect", "roster reads failed / stall seen")
		for _, r := range outages {
			stall := "-"
			if r.StallSeenState != "" {
				stall = fmt.Sprintf("%s after %s, %d republished into it", r.StallSeenState, round(r.StallSeen), r.RepublishedInStall)
			} else if r.Kind == KindStall {
				stall = fmt.Sprintf("never, %d republished into it", r.RepublishedInStall)
			}
			reconnect := "-"
			if r.Reconnect > 0 {
				reconnect = round(r.Reconnect).String()
				stall = fmt.Sprintf("%d roster reads failed", r.RosterFailures)
			}
			fmt.Fprintf(w, "%-24s %5d %9d %4d %10d %12d %11.0f %8.1f%% %9s %9s %s\n",
				r.Scenario, r.Sent, r.Delivered, r.Lost, r.Duplicated, r.OutOfOrder, perMessage(r), 100*r.Overhead(), round(r.Drain), reconnect, stall)
		}
	}
	if len(flaps) > 0 {
		fmt.Fprintf(w, "\n%-32s %5s %9s %4s %10s %12s %11s %9s %s\n",
			"flapping link", "sent", "delivered", "lost", "duplicated", "out of order", "bytes/msg", "overhead", "link up → queue drained, each cut")
		for _, r := range flaps {
			var ds []string
			for _, d := range r.Drains {
				ds = append(ds, round(d).String())
			}
			drains := strings.Join(ds, ", ")
			if r.Undrained > 0 {
				drains += fmt.Sprintf(" (%d not drained before the next cut)", r.Undrained)
			}
			fmt.Fprintf(w, "%-32s %5d %9d %4d %10d %12d %11.0f %8.1f%% %s\n",
				r.Scenario, r.Sent, r.Delivered, r.Lost, r.Duplicated, r.OutOfOrder, perMessage(r), 100*r.Overhead(), drains)
		}
	}
}

// perMessage is the bytes of the messages' publications per message sent.
func perMessage(r Row) float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.WireBytes) / float64(r.Sent)
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
