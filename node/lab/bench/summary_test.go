package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSummarizeMedians summarizes three made-up repetitions in which the
// median of the per-repetition ratios (0.75: the target is met) differs
// from the quotient of the medians of the rates (600 / 1000 = 0.6): the
// summary must show the former, with each figure's range, and judge the
// targets on the medians.
func TestSummarizeMedians(t *testing.T) {
	rep := func(floor, pipe, p99, fanRatio, cpu float64) *Report {
		r := NewReport(time.Now())
		r.Scenarios = []Result{
			{Name: "floor/1", PerSecond: floor},
			{Name: "pipeline/1", PerSecond: pipe, Ratio: pipe / floor, RatioTo: "floor/1", Values: map[string]float64{"cpu_ms_per_message": cpu}},
			{Name: "latency/1", Latency: map[string]Percentiles{"send_to_inbox": {P50: 5, P90: 10, P99: p99, Max: 2 * p99}}},
			{Name: "fanin/100", PerSecond: fanRatio * pipe, Ratio: fanRatio, RatioTo: "pipeline/1", Values: map[string]float64{"cpu_ms_per_message": 2 * cpu}},
		}
		for i := range r.Scenarios {
			judge(&r.Scenarios[i])
		}
		return r
	}
	runs := []*Report{rep(1000, 600, 45, 0.81, 1.2), rep(500, 450, 60, 0.5, 1.5), rep(2000, 1500, 40, 0.9, 1.3)}
	sum := Summarize(runs)
	if sum.Repeat != 3 || len(sum.Runs) != 3 || len(sum.Scenarios) != 4 {
		t.Fatalf("summary of %d repetitions, %d runs, %d scenarios", sum.Repeat, len(sum.Runs), len(sum.Scenarios))
	}
	pipe, lat, fan := sum.Scenarios[1], sum.Scenarios[2], sum.Scenarios[3]
	if pipe.Ratio != 0.75 || pipe.Range["ratio"] != (Span{0.6, 0.9}) {
		t.Errorf("pipeline/1 ratio %v range %v, want the median of the repetitions' ratios 0.75 (0.6–0.9)", pipe.Ratio, pipe.Range["ratio"])
	}
	if pipe.PerSecond != 600 || pipe.Range["per_second"] != (Span{450, 1500}) {
		t.Errorf("pipeline/1 rate %v range %v", pipe.PerSecond, pipe.Range["per_second"])
	}
	if pipe.Met == nil || !*pipe.Met {
		t.Errorf("pipeline/1 judged %v on the median ratio 0.75, want met", pipe.Met)
	}
	if pipe.Values["cpu_ms_per_message"] != 1.3 || pipe.Range["values.cpu_ms_per_message"] != (Span{1.2, 1.5}) {
		t.Errorf("pipeline/1 CPU per message %v range %v", pipe.Values, pipe.Range)
	}
	if p := lat.Latency["send_to_inbox"]; p.P99 != 45 || lat.Range["latency_ms.send_to_inbox.p99"] != (Span{40, 60}) || lat.Met == nil || !*lat.Met {
		t.Errorf("latency p99 %v range %v met %v, want 45 (40–60) met", p.P99, lat.Range["latency_ms.send_to_inbox.p99"], lat.Met)
	}
	if fan.Ratio != 0.81 || fan.Met == nil || !*fan.Met || fan.Values["cpu_ms_per_message"] != 2.6 {
		t.Errorf("fanin/100 ratio %v met %v CPU %v, want 0.81 met 2.6", fan.Ratio, fan.Met, fan.Values)
	}
	var b strings.Builder
	sum.WriteTable(&b)
	for _, want := range []string{"median of 3 repetitions", "0.75 (0.60–0.90) × floor/1", "600 msgs/s (450–1500)",
		"p99 45.0 (40.0–60.0)", "cpu_ms_per_message 1.30 (1.20–1.50)", "target ≥ 0.7 of the crypto floor: MET (on the median of 3)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, b.String())
		}
	}
}

// TestRunRepeat runs the scenarios twice at smoke size: the report holds
// both repetitions, each with its own ratios, and the medians and ranges
// of those; each repetition's directory is removed once measured.
func TestRunRepeat(t *testing.T) {
	c := QuickConfig(t.TempDir())
	c.Messages, c.LatencyMessages, c.Agencies, c.PerAgency, c.AttachSize, c.Repeat = 16, 10, 3, 3, 0, 2
	rep, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Repeat != 2 || len(rep.Runs) != 2 {
		t.Fatalf("repeat %d with %d runs, want 2 and 2", rep.Repeat, len(rep.Runs))
	}
	for i, s := range rep.Scenarios {
		if s.Name != rep.Runs[0].Scenarios[i].Name || s.Name != rep.Runs[1].Scenarios[i].Name || s.Repeat != 2 {
			t.Fatalf("scenario %d: %s (of %d), runs have %s and %s", i, s.Name, s.Repeat, rep.Runs[0].Scenarios[i].Name, rep.Runs[1].Scenarios[i].Name)
		}
		if s.RatioTo == "" {
			continue
		}
		a, b := rep.Runs[0].Scenarios[i].Ratio, rep.Runs[1].Scenarios[i].Ratio
		if a <= 0 || b <= 0 || s.Ratio != (a+b)/2 || s.Range["ratio"] != (Span{min(a, b), max(a, b)}) {
			t.Errorf("%s: ratio %v range %v from the repetitions' %v and %v", s.Name, s.Ratio, s.Range["ratio"], a, b)
		}
		ca, cb := rep.Runs[0].Scenarios[i].Values["cpu_ms_per_message"], rep.Runs[1].Scenarios[i].Values["cpu_ms_per_message"]
		if got := s.Values["cpu_ms_per_message"]; ca > 0 && got != (ca+cb)/2 {
			t.Errorf("%s: CPU per message %v from the repetitions' %v and %v", s.Name, got, ca, cb)
		}
	}
	for i := range 2 {
		if _, err := os.Stat(filepath.Join(c.Dir, "repetition-"+string(rune('1'+i)))); !os.IsNotExist(err) {
			t.Errorf("repetition %d's directory is still there: %v", i+1, err)
		}
	}
}
