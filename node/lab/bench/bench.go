// Package bench measures casenode end to end on the machine it runs on:
// the crypto the protocol requires per message (the floor), the whole
// pipeline through a real embedded hub and real nodes, latency at a fixed
// load, a raw JetStream baseline, fan-in across many agencies, and the
// footprint of a node and a hub. Every scenario runs in the same process
// and the same run, so that ratios between them are meaningful on a shared,
// noisy machine. `casenode bench` prints the report; docs/PERFORMANCE.md
// explains the method.
package bench

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// Report is the result of one bench run.
type Report struct {
	Started   time.Time `json:"started"`
	GoVersion string    `json:"go_version"`
	OS        string    `json:"os"`
	Arch      string    `json:"arch"`
	Cores     int       `json:"cores"`
	Scenarios []Result  `json:"scenarios"`
	// Repeat is how many repetitions Scenarios summarize (see Summarize);
	// zero for a report of one run.
	Repeat int `json:"repeat,omitempty"`
	// Runs holds the report of each repetition, in the order they ran.
	Runs []*Report `json:"runs,omitempty"`
}

// NewReport returns a report describing this machine.
func NewReport(now time.Time) *Report {
	return &Report{Started: now.UTC(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, Cores: runtime.NumCPU()}
}

// Result is one scenario's figures.
type Result struct {
	// Name identifies the scenario, e.g. "floor/1".
	Name string `json:"name"`
	// Title says what was measured, for people.
	Title string `json:"title"`
	// Params are the scenario's parameters.
	Params map[string]any `json:"params"`
	// Messages is how many messages were measured.
	Messages int `json:"messages,omitempty"`
	// Seconds is the measured wall time.
	Seconds float64 `json:"seconds,omitempty"`
	// PerSecond is messages per second, when the scenario measures a rate.
	PerSecond float64 `json:"per_second,omitempty"`
	// Ratio compares PerSecond with a baseline measured in the same run.
	Ratio float64 `json:"ratio,omitempty"`
	// RatioTo names that baseline.
	RatioTo string `json:"ratio_to,omitempty"`
	// Latency holds percentiles in milliseconds, when measured.
	Latency map[string]Percentiles `json:"latency_ms,omitempty"`
	// Values holds other figures (memory, start-up time…), named with their
	// unit.
	Values map[string]float64 `json:"values,omitempty"`
	// Target states the goal this figure is held to, if any.
	Target string `json:"target,omitempty"`
	// Met tells whether the target was met.
	Met *bool `json:"met,omitempty"`
	// Repeat is how many repetitions' figures this result is the median
	// of; zero for the figures of one run.
	Repeat int `json:"repeat,omitempty"`
	// Range holds, in a summary of repetitions, the lowest and highest of
	// each figure whose median the result shows: "per_second", "ratio",
	// "seconds", "latency_ms.NAME.p99", "values.NAME".
	Range map[string]Span `json:"range,omitempty"`
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// rate returns n per elapsed second.
func rate(n int, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(n) / elapsed.Seconds()
}

// met records whether a target holds.
func met(ok bool) *bool { return &ok }

// cpuValues adds the CPU time a scenario used (cpu, from cpuTime) to
// values: in all and per message, in milliseconds. On a shared machine
// the CPU a message costs moves less than the rate: other jobs slow the
// scenario down, but do not make it do more work.
func cpuValues(values map[string]float64, cpu time.Duration, messages int) map[string]float64 {
	if cpu <= 0 || messages <= 0 {
		return values
	}
	if values == nil {
		values = map[string]float64{}
	}
	values["cpu_seconds"] = cpu.Seconds()
	values["cpu_ms_per_message"] = float64(cpu.Microseconds()) / 1000 / float64(messages)
	return values
}

// allocated returns the bytes this process has allocated on the heap so
// far (without stopping the world, as runtime.ReadMemStats would).
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// allocValues adds to values the heap bytes a scenario allocated (bytes,
// from allocated), per message, in KiB: unlike the CPU time, a figure
// other jobs on the machine barely move, and what the garbage collector's
// work follows.
func allocValues(values map[string]float64, bytes uint64, messages int) map[string]float64 {
	if bytes == 0 || messages <= 0 {
		return values
	}
	if values == nil {
		values = map[string]float64{}
	}
	values["alloc_kib_per_message"] = float64(bytes) / 1024 / float64(messages)
	return values
}
