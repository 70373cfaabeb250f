package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// The scenarios run with tiny counts: these are smoke tests of the bench
// code, not measurements (make bench and casenode bench measure).

func TestFloorSmoke(t *testing.T) {
	r, err := Floor(context.Background(), protocol.KindClassic, 3, 8, Body(1024))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "floor/3" || r.Messages != 8 || r.PerSecond <= 0 {
		t.Fatalf("result %+v", r)
	}
}

func TestRawJetStreamSmoke(t *testing.T) {
	r, err := RawJetStream(context.Background(), t.TempDir(), 200, 1024, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != 200 || r.PerSecond <= 0 || r.Values["publish_per_second"] <= 0 || r.Values["consume_per_second"] <= 0 {
		t.Fatalf("result %+v", r)
	}
}

// TestRunQuick runs every scenario but the footprint at smoke size and
// checks the report holds each, with ratios computed.
func TestRunQuick(t *testing.T) {
	rep, err := Run(context.Background(), QuickConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"floor/1", "floor/3", "pipeline/1", "pipeline/3", "latency/1", "jetstream/sync-true", "jetstream/sync-false", "fanin/4"}
	if len(rep.Scenarios) != len(want) {
		t.Fatalf("%d scenarios, want %d", len(rep.Scenarios), len(want))
	}
	for i, s := range rep.Scenarios {
		if s.Name != want[i] {
			t.Fatalf("scenario %d is %s, want %s", i, s.Name, want[i])
		}
	}
	if p := rep.Scenarios[2]; p.RatioTo != "floor/1" || p.Ratio <= 0 || p.Met == nil {
		t.Fatalf("pipeline/1 ratio %+v", p)
	}
	if l := rep.Scenarios[4].Latency["send_to_inbox"]; l.P50 <= 0 || l.Max < l.P99 {
		t.Fatalf("latency %+v", l)
	}
	var b strings.Builder
	rep.WriteTable(&b)
	if !strings.Contains(b.String(), "fanin/4") || !strings.Contains(b.String(), "× pipeline/1") {
		t.Fatalf("table:\n%s", b.String())
	}
}

// BenchmarkPipeline runs the pipeline scenario, one agency to one, with
// b.N messages: run it with -cpuprofile, -blockprofile or -mutexprofile to
// see what stands between the pipeline and the floor.
func BenchmarkPipeline(b *testing.B) {
	r, err := Pipeline(context.Background(), b.TempDir(), protocol.KindHybrid, 1, b.N, 64, Body(1024))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.PerSecond, "msgs/s")
	b.ReportMetric(r.Values["cpu_ms_per_message"], "cpu-ms/msg")
	b.ReportMetric(r.Values["alloc_kib_per_message"], "alloc-KiB/msg")
}

// BenchmarkFloor runs the floor scenario, one recipient, with b.N messages.
func BenchmarkFloor(b *testing.B) {
	r, err := Floor(context.Background(), protocol.KindHybrid, 1, b.N, Body(1024))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.PerSecond, "msgs/s")
	b.ReportMetric(r.Values["cpu_ms_per_message"], "cpu-ms/msg")
}

// BenchmarkFanIn runs the fan-in scenario with CASENODE_BENCH_AGENCIES
// (default 20) agencies sending b.N messages in all (at least one each):
// profile it to see what many small nodes on one hub cost. With
// CASENODE_BENCH_PROFILE set to a directory, it writes there the CPU
// profile of the measured part alone (cpu.prof, labelled side=hub and
// side=node) and the heap profiles at its start and end (heap0.prof,
// heap1.prof: `go tool pprof -sample_index=alloc_space -base heap0.prof
// heap1.prof` shows what it allocated).
func BenchmarkFanIn(b *testing.B) {
	agencies := benchAgencies(20)
	var watch func() func()
	if dir := os.Getenv("CASENODE_BENCH_PROFILE"); dir != "" && b.N >= agencies {
		watch = func() func() { return profileTo(b, dir) }
	}
	r, err := FanInWatched(context.Background(), b.TempDir(), protocol.KindHybrid, agencies, max(1, b.N/agencies), Body(1024), watch)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.PerSecond, "msgs/s")
	b.ReportMetric(r.Values["cpu_ms_per_message"], "cpu-ms/msg")
	b.ReportMetric(r.Values["alloc_kib_per_message"], "alloc-KiB/msg")
}

// profileTo starts a CPU profile into dir and writes the heap profile
// there; the function it returns stops the CPU profile and writes the heap
// profile again.
func profileTo(b *testing.B, dir string) func() {
	heap := func(name string) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
	}
	heap("heap0.prof")
	f, err := os.Create(filepath.Join(dir, "cpu.prof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		heap("heap1.prof")
	}
}

// TestWire measures a 1 KiB lead to one recipient on the sender's link in
// both formats: version 2's publications are under 2,000 bytes with
// classic keys and 4,500 with post-quantum ones, NATS framing included,
// and smaller than version 1's. S2 would save under 2% of them: they are
// ciphertext, signatures and hashes (a lead of plain text compresses by
// far more; a publication that did would carry something in clear).
func TestWire(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		kind  protocol.RecipientKind
		limit float64
	}{{protocol.KindClassic, 2000}, {protocol.KindHybrid, 4500}} {
		got := map[int]float64{}
		for _, v := range []int{protocol.FormatVersion1, protocol.FormatVersion2} {
			r, err := Wire(ctx, t.TempDir(), c.kind, 1, 4, v, Body(1024))
			if err != nil {
				t.Fatal(err)
			}
			got[v] = r.Values["publications_up_bytes_per_msg"]
			if saving := r.Values["publications_up_s2_saving"]; saving > 0.02 {
				t.Errorf("%s v%d: S2 shrinks the publications by %.1f%%: want under 2%%", c.kind, v, 100*saving)
			}
			if r.Values["age_ciphertext_bytes"] <= 0 || r.Values["with_receipt_bytes_per_msg"] <= got[v] {
				t.Fatalf("%s v%d: %v", c.kind, v, r.Values)
			}
			t.Logf("%s v%d: %v", c.kind, v, r.Values)
		}
		if got[2] >= c.limit || got[2] >= got[1] {
			t.Fatalf("%s: a message's publications take %.0f bytes in v2 (v1 %.0f), want under %.0f", c.kind, got[2], got[1], c.limit)
		}
	}
}

// TestClusterPipeline measures, with CASENODE_CLUSTER set ('make
// cluster'), the pipeline to one recipient through a single-server hub and
// then through a hub of three servers (R3), paired in one run, twice each
// in turn, and logs the ratio; each run checks every message arrived.
func TestClusterPipeline(t *testing.T) {
	if os.Getenv("CASENODE_CLUSTER") == "" {
		t.Skip("runs with 'make cluster' (CASENODE_CLUSTER=full)")
	}
	messages := 1000
	if os.Getenv("CASENODE_CLUSTER") != "full" {
		messages = 200
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var r1, r3 []float64
	for round := range 2 {
		one, err := Pipeline(ctx, filepath.Join(t.TempDir(), "r1"), protocol.KindClassic, 1, messages, 16, Body(1024))
		if err != nil {
			t.Fatalf("round %d, one server: %v", round, err)
		}
		three, err := ClusterPipeline(ctx, filepath.Join(t.TempDir(), "r3"), protocol.KindClassic, messages, 16, Body(1024))
		if err != nil {
			t.Fatalf("round %d, three servers: %v", round, err)
		}
		r1, r3 = append(r1, one.PerSecond), append(r3, three.PerSecond)
		t.Logf("round %d: %d messages, one server %.0f msgs/s, three servers (R3) %.0f msgs/s: ratio %.2f", round, messages, one.PerSecond, three.PerSecond, three.PerSecond/one.PerSecond)
	}
	t.Logf("R3 / R1 throughput, mean of %d paired rounds: %.2f", len(r1), (r3[0]/r1[0]+r3[1]/r1[1])/2)
}

// BenchmarkFanInRatio runs pipeline/1 and then fan-in in the same process,
// as casenode bench does, and reports both rates and their ratio: paired
// runs for changes to the hub or the nodes' transport. The fan-in's size is
// CASENODE_BENCH_AGENCIES (default 100) agencies sending b.N messages in
// all; pipeline/1 sends b.N messages.
func BenchmarkFanInRatio(b *testing.B) {
	agencies := benchAgencies(100)
	ctx := context.Background()
	p, err := Pipeline(ctx, b.TempDir(), protocol.KindHybrid, 1, b.N, 64, Body(1024))
	if err != nil {
		b.Fatal(err)
	}
	f, err := FanIn(ctx, b.TempDir(), protocol.KindHybrid, agencies, max(1, b.N/agencies), Body(1024))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(p.PerSecond, "pipeline-msgs/s")
	b.ReportMetric(f.PerSecond, "fanin-msgs/s")
	b.ReportMetric(f.PerSecond/p.PerSecond, "ratio")
	b.ReportMetric(p.Values["cpu_ms_per_message"], "pipeline-cpu-ms/msg")
	b.ReportMetric(f.Values["cpu_ms_per_message"], "fanin-cpu-ms/msg")
}

// BenchmarkLatency runs the latency scenario, one agency to one, b.N
// messages offered at CASENODE_BENCH_RATE a second (default 684, half of
// pipeline/1 on a quiet machine of the fifth round), and reports the
// percentiles of send → inbox: paired runs for changes to the commit path.
func BenchmarkLatency(b *testing.B) {
	rate := 684.0
	if v, err := strconv.ParseFloat(os.Getenv("CASENODE_BENCH_RATE"), 64); err == nil && v > 0 {
		rate = v
	}
	r, err := Latency(context.Background(), b.TempDir(), protocol.KindHybrid, rate, b.N, Body(1024))
	if err != nil {
		b.Fatal(err)
	}
	l := r.Latency["send_to_inbox"]
	b.ReportMetric(l.P50, "p50-ms")
	b.ReportMetric(l.P99, "p99-ms")
	if v, ok := r.Params["achieved_per_second"].(float64); ok {
		b.ReportMetric(v, "achieved/s")
	}
}

// benchAgencies is CASENODE_BENCH_AGENCIES, or def when it is not set.
func benchAgencies(def int) int {
	if v, err := strconv.Atoi(os.Getenv("CASENODE_BENCH_AGENCIES")); err == nil && v >= 2 {
		return v
	}
	return def
}
