package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
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
// figures measured in this run only.
func Run(ctx context.Context, c Config) (*Report, error) {
	rep := NewReport(time.Now())
	body := protocol.SizedLead(c.BodySize)
	logf := func(format string, args ...any) {
		if c.Log != nil {
			fmt.Fprintf(c.Log, format+"\n", args...)
		}
	}
	add := func(r Result) Result { rep.Scenarios = append(rep.Scenarios, r); return r }

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
		r.Target, r.Met = "≥ 0.7 of the crypto floor", met(r.Ratio >= 0.7)
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
	lat.Target = "p99 send → inbox < 50 ms at half the maximum load"
	lat.Met = met(lat.Latency["send_to_inbox"].P99 < 50)
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
	fan.Target, fan.Met = "≥ 0.8 of the single pair's throughput", met(fan.Ratio >= 0.8)
	add(fan)
	if c.Exe != "" {
		logf("footprint: hub and node processes…")
		fp, err := Footprint(ctx, filepath.Join(c.Dir, "footprint"), c.Exe, c.Kind)
		if err != nil {
			return rep, fmt.Errorf("footprint: %w", err)
		}
		fp.Target = "idle node < 50 MB resident; start-up to ready < 500 ms"
		fp.Met = met(fp.Values["node_rss_mb"] < 50 && fp.Values["node_startup_ms"] < 500)
		add(fp)
	}
	if c.Exe != "" && c.AttachSize > 0 {
		logf("attachment: %d MiB between two node processes…", c.AttachSize>>20)
		at, err := Attachment(ctx, filepath.Join(c.Dir, "attachment"), c.Exe, c.Kind, c.AttachSize)
		if err != nil {
			return rep, fmt.Errorf("attachment: %w", err)
		}
		at.Target = "≥ 0.8 of raw age + JetStream; peak resident memory: nodes < 64 MiB, hub < 128 MiB"
		at.Met = met(at.Ratio >= 0.8 && at.Values["sender_peak_rss_mb"] < 64 && at.Values["receiver_peak_rss_mb"] < 64 && at.Values["hub_peak_rss_mb"] < 128)
		add(at)
	}
	return rep, nil
}
