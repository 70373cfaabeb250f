package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/casenode/casenode/protocol"
)

// Config says how big a bench run is.
type Config struct {
	// Dir is the working directory for hubs and nodes.
	Dir string
	// Exe is the casenode binary, for the footprint scenario; empty skips it.
	Exe string
	// Kind is the recipient kind of the networks.
	Kind protocol.RecipientKind
	// Messages is the message count of the floor and pipeline scenarios.
	Messages int
	// BodySize is the body size in bytes.
	BodySize int
	// Senders is how many goroutines call Send at once in the pipeline.
	Senders int
	// LatencyMessages is the message count of the latency scenario.
	LatencyMessages int
	// WireMessages is the message count of each wire scenario; zero skips
	// them.
	WireMessages int
	// Agencies and PerAgency shape the fan-in scenario.
	Agencies, PerAgency int
	// AttachSize is the attachment scenario's file size in bytes (it needs
	// Exe); zero skips it.
	AttachSize int64
	// Cluster runs the pipeline to one recipient again through a hub of
	// three servers (R3), as a ratio to the single server's.
	Cluster bool
	// Repeat runs every scenario this many times, one repetition after
	// the other (each runs them all, its ratios against the baselines of
	// the same repetition), and reports the median of each figure with
	// its range; zero or one runs them once.
	Repeat int
	// KeepDirs keeps each repetition's directory under Dir; otherwise a
	// repetition's hubs and nodes are removed once it has been measured
	// (the attachment scenario alone writes gigabytes).
	KeepDirs bool
	// Log receives one line per scenario as it starts; nil discards them.
	Log io.Writer
}

// DefaultConfig is the full run of the targets.
func DefaultConfig(dir string) Config {
	return Config{Dir: dir, Kind: protocol.KindHybrid, Messages: 10000, BodySize: 1024, Senders: 64,
		LatencyMessages: 2000, Agencies: 100, PerAgency: 100, WireMessages: 100, AttachSize: 1 << 30, Cluster: true}
}

// QuickConfig is a smoke-sized run: seconds, not minutes.
func QuickConfig(dir string) Config {
	return Config{Dir: dir, Kind: protocol.KindClassic, Messages: 40, BodySize: 1024, Senders: 8,
		LatencyMessages: 20, Agencies: 4, PerAgency: 5, AttachSize: 8 << 20}
}

// Run runs every scenario in turn and returns the report. Ratios compare
// figures measured in this run only. With c.Repeat above one it runs them
// all that many times, each repetition in a directory of its own, and
// returns the medians (see Summarize), every repetition's report in Runs.
func Run(ctx context.Context, c Config) (*Report, error) {
	if c.Repeat <= 1 {
		return runOnce(ctx, c)
	}
	logf := func(format string, args ...any) {
		if c.Log != nil {
			fmt.Fprintf(c.Log, format+"\n", args...)
		}
	}
	var runs []*Report
	for i := range c.Repeat {
		logf("repetition %d of %d", i+1, c.Repeat)
		one := c
		one.Dir = filepath.Join(c.Dir, fmt.Sprintf("repetition-%d", i+1))
		rep, err := runOnce(ctx, one)
		if !c.KeepDirs {
			if rerr := os.RemoveAll(one.Dir); err == nil && rerr != nil {
				err = fmt.Errorf("remove the repetition's directory: %w", rerr)
			}
		}
		if err != nil {
			return rep, fmt.Errorf("repetition %d: %w", i+1, err)
		}
		runs = append(runs, rep)
	}
	return Summarize(runs), nil
}

// runOnce runs every scenario once.
func runOnce(ctx context.Context, c Config) (*Report, error) {
	rep := NewReport(time.Now())
	body := protocol.SizedLead(c.BodySize)
	logf := func(format string, args ...any) {
		if c.Log != nil {
			fmt.Fprintf(c.Log, format+"\n", args...)
		}
	}
	add := func(r Result) Result { judge(&r); rep.Scenarios = append(rep.Scenarios, r); return r }

	if c.WireMessages > 0 {
		if err := wireScenarios(ctx, c.Dir, c.WireMessages, body, add, logf); err != nil {
			return rep, err
		}
	}
	floors := map[int]Result{}
	for _, n := range []int{1, 3} {
		logf("floor: %d messages to %d recipient(s)…", c.Messages, n)
		r, err := Floor(ctx, c.Kind, n, c.Messages, body)
		if err != nil {
			return rep, fmt.Errorf("floor/%d: %w", n, err)
		}
		floors[n] = add(r)
	}
	pipes := map[int]Result{}
	for _, n := range []int{1, 3} {
		logf("pipeline: %d messages to %d recipient(s) through the hub…", c.Messages, n)
		r, err := Pipeline(ctx, filepath.Join(c.Dir, fmt.Sprintf("pipeline-%d", n)), c.Kind, n, c.Messages, c.Senders, body)
		if err != nil {
			return rep, fmt.Errorf("pipeline/%d: %w", n, err)
		}
		r.Ratio, r.RatioTo = r.PerSecond/floors[n].PerSecond, floors[n].Name
		pipes[n] = add(r)
	}
	if c.Cluster {
		logf("cluster: %d messages to 1 recipient through a hub of three servers…", c.Messages)
		r, err := ClusterPipeline(ctx, filepath.Join(c.Dir, "cluster"), c.Kind, c.Messages, c.Senders, body)
		if err != nil {
			return rep, fmt.Errorf("cluster/1: %w", err)
		}
		r.Ratio, r.RatioTo = r.PerSecond/pipes[1].PerSecond, pipes[1].Name
		add(r)
	}
	offered := pipes[1].PerSecond / 2
	logf("latency: %d messages at %.0f/s…", c.LatencyMessages, offered)
	lat, err := Latency(ctx, filepath.Join(c.Dir, "latency"), c.Kind, offered, c.LatencyMessages, body)
	if err != nil {
		return rep, fmt.Errorf("latency: %w", err)
	}
	add(lat)
	logf("raw JetStream baseline: %d messages…", c.Messages)
	for _, sync := range []bool{true, false} {
		r, err := RawJetStream(ctx, filepath.Join(c.Dir, fmt.Sprintf("jetstream-%v", sync)), c.Messages, c.BodySize, sync)
		if err != nil {
			return rep, fmt.Errorf("jetstream: %w", err)
		}
		add(r)
	}
	logf("fan-in: %d agencies × %d messages…", c.Agencies, c.PerAgency)
	fan, err := FanIn(ctx, filepath.Join(c.Dir, "fanin"), c.Kind, c.Agencies, c.PerAgency, body)
	if err != nil {
		return rep, fmt.Errorf("fan-in: %w", err)
	}
	fan.Ratio, fan.RatioTo = fan.PerSecond/pipes[1].PerSecond, pipes[1].Name
	add(fan)
	if c.Exe != "" {
		logf("footprint: hub and node processes…")
		fp, err := Footprint(ctx, filepath.Join(c.Dir, "footprint"), c.Exe, c.Kind)
		if err != nil {
			return rep, fmt.Errorf("footprint: %w", err)
		}
		add(fp)
	}
	if c.Exe != "" && c.AttachSize > 0 {
		logf("attachment: %d MiB between two node processes…", c.AttachSize>>20)
		at, err := Attachment(ctx, filepath.Join(c.Dir, "attachment"), c.Exe, c.Kind, c.AttachSize)
		if err != nil {
			return rep, fmt.Errorf("attachment: %w", err)
		}
		add(at)
	}
	return rep, nil
}

// judge states the target r is held to, if any, and whether r's figures
// meet it: the figures of one run, or the medians of several.
func judge(r *Result) {
	parts := strings.Split(r.Name, "/")
	switch parts[0] {
	case "wire": // wire/KIND/N/vV: the targets are for one recipient in the current format
		if len(parts) != 4 || parts[2] != "1" || parts[3] != fmt.Sprintf("v%d", protocol.FormatVersion2) {
			return
		}
		if limit := map[string]float64{string(protocol.KindHybrid): 4500, string(protocol.KindClassic): 2000}[parts[1]]; limit > 0 {
			r.Target = fmt.Sprintf("a message's publications < %.0f bytes on the wire", limit)
			r.Met = met(r.Values["publications_up_bytes_per_msg"] < limit)
		}
	case "pipeline":
		r.Target, r.Met = "≥ 0.7 of the crypto floor", met(r.Ratio >= 0.7)
	case "latency":
		r.Target = "p99 send → inbox < 50 ms at half the maximum load"
		r.Met = met(r.Latency["send_to_inbox"].P99 < 50)
	case "fanin":
		r.Target, r.Met = "≥ 0.8 of the single pair's throughput", met(r.Ratio >= 0.8)
	case "footprint":
		r.Target = "idle node < 50 MB resident; start-up to ready < 500 ms"
		r.Met = met(r.Values["node_rss_mb"] < 50 && r.Values["node_startup_ms"] < 500)
	case "attachment":
		r.Target = "≥ 0.8 of raw age + JetStream; peak resident memory: nodes < 64 MiB, hub < 128 MiB"
		r.Met = met(r.Ratio >= 0.8 && r.Values["sender_peak_rss_mb"] < 64 && r.Values["receiver_peak_rss_mb"] < 64 && r.Values["hub_peak_rss_mb"] < 128)
	}
}
