package bench

import (
	"fmt"
	"slices"
)

// Span is the range of one figure over the repetitions of a run.
type Span struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Summarize returns the report of several repetitions of a run: each
// scenario with the median of each of its figures over the repetitions and
// their range, and its target judged on those medians. A ratio's median is
// the median of the ratios each repetition computed against its own
// baseline, never a quotient of medians taken apart: the baseline and the
// scenario it measures were run a minute apart, not a repetition apart.
// The runs are kept in Runs; a scenario missing from some of them is
// summarized over those that have it. A scenario's parameters are the
// first repetition's (the latency scenario's offered rate, half of its
// repetition's pipeline/1, differs from one to the next: Runs has each).
func Summarize(runs []*Report) *Report {
	if len(runs) == 0 {
		return nil
	}
	sum := *runs[0]
	sum.Scenarios, sum.Runs, sum.Repeat = nil, runs, len(runs)
	for _, first := range runs[0].Scenarios {
		var same []Result
		for _, run := range runs {
			for _, r := range run.Scenarios {
				if r.Name == first.Name {
					same = append(same, r)
					break
				}
			}
		}
		sum.Scenarios = append(sum.Scenarios, summarizeResult(same))
	}
	return &sum
}

// summarizeResult returns the medians of the same scenario's results.
func summarizeResult(same []Result) Result {
	m := Result{Name: same[0].Name, Title: same[0].Title, Params: same[0].Params, Messages: same[0].Messages,
		RatioTo: same[0].RatioTo, Repeat: len(same), Range: map[string]Span{}}
	figure := func(key string, get func(Result) (float64, bool)) float64 {
		var vs []float64
		for _, r := range same {
			if v, ok := get(r); ok {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			return 0
		}
		med, span := median(vs)
		if span.Min != 0 || span.Max != 0 {
			m.Range[key] = span
		}
		return med
	}
	m.Seconds = figure("seconds", func(r Result) (float64, bool) { return r.Seconds, true })
	m.PerSecond = figure("per_second", func(r Result) (float64, bool) { return r.PerSecond, true })
	m.Ratio = figure("ratio", func(r Result) (float64, bool) { return r.Ratio, true })
	for _, name := range unionKeys(same, func(r Result) map[string]Percentiles { return r.Latency }) {
		if m.Latency == nil {
			m.Latency = map[string]Percentiles{}
		}
		at := func(pick func(Percentiles) float64) func(Result) (float64, bool) {
			return func(r Result) (float64, bool) { p, ok := r.Latency[name]; return pick(p), ok }
		}
		key := "latency_ms." + name + "."
		m.Latency[name] = Percentiles{
			P50: figure(key+"p50", at(func(p Percentiles) float64 { return p.P50 })),
			P90: figure(key+"p90", at(func(p Percentiles) float64 { return p.P90 })),
			P99: figure(key+"p99", at(func(p Percentiles) float64 { return p.P99 })),
			Max: figure(key+"max", at(func(p Percentiles) float64 { return p.Max })),
		}
	}
	for _, name := range unionKeys(same, func(r Result) map[string]float64 { return r.Values }) {
		if m.Values == nil {
			m.Values = map[string]float64{}
		}
		m.Values[name] = figure("values."+name, func(r Result) (float64, bool) { v, ok := r.Values[name]; return v, ok })
	}
	if len(m.Range) == 0 {
		m.Range = nil
	}
	judge(&m)
	if m.Target == "" && same[0].Target != "" {
		// A target this package does not judge again: met only when
		// every repetition met it.
		ok := true
		for _, r := range same {
			ok = ok && r.Met != nil && *r.Met
		}
		m.Target, m.Met = same[0].Target, met(ok)
	}
	return m
}

// median returns the median of vs (the mean of the two middle ones when
// there is an even number) and their range.
func median(vs []float64) (float64, Span) {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	span := Span{Min: s[0], Max: s[n-1]}
	if n%2 == 1 {
		return s[n/2], span
	}
	return (s[n/2-1] + s[n/2]) / 2, span
}

// unionKeys returns the sorted keys of the maps get returns for rs.
func unionKeys[V any](rs []Result, get func(Result) map[string]V) []string {
	seen := map[string]bool{}
	var keys []string
	for _, r := range rs {
		for k := range get(r) {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// spanText prints r's range of the figure key, " (min–max)", or "" when r
// is not a summary or has no range for it.
func (r Result) spanText(key string, format string) string {
	s, ok := r.Range[key]
	if r.Repeat < 2 || !ok {
		return ""
	}
	return fmt.Sprintf(" ("+format+"–"+format+")", s.Min, s.Max)
}
