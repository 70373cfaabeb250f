package bench

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteTable prints the report for people. A summary of repetitions
// shows each figure's median and, in brackets, its range.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "casenode bench — %s, %s/%s, %d cores, %s\n", r.GoVersion, r.OS, r.Arch, r.Cores, r.Started.Format("2006-01-02 15:04 MST"))
	if r.Repeat > 1 {
		fmt.Fprintf(w, "every figure is the median of %d repetitions, (lowest–highest) after it; each ratio is the median of the ratios of the repetitions; targets are judged on the medians\n", r.Repeat)
	}
	fmt.Fprintln(w)
	for _, s := range r.Scenarios {
		fmt.Fprintf(w, "%-22s %s\n", s.Name, s.Title)
		fmt.Fprintf(w, "%-22s %s\n", "", params(s.Params))
		if s.PerSecond > 0 {
			fmt.Fprintf(w, "%-22s %.0f msgs/s%s (%d in %.2f s)", "", s.PerSecond, s.spanText("per_second", "%.0f"), s.Messages, s.Seconds)
			if s.RatioTo != "" {
				fmt.Fprintf(w, ", %.2f%s × %s", s.Ratio, s.spanText("ratio", "%.2f"), s.RatioTo)
			}
			fmt.Fprintln(w)
		}
		for _, name := range sortedKeys(s.Latency) {
			p, key := s.Latency[name], "latency_ms."+name+"."
			fmt.Fprintf(w, "%-22s %s ms: p50 %.1f  p90 %.1f  p99 %.1f%s  max %.1f\n", "", name, p.P50, p.P90, p.P99, s.spanText(key+"p99", "%.1f"), p.Max)
		}
		for _, name := range sortedKeys(s.Values) {
			v := s.Values[name]
			fmt.Fprintf(w, "%-22s %s %s", "", name, value(v))
			if sp, ok := s.Range["values."+name]; ok && s.Repeat > 1 {
				fmt.Fprintf(w, " (%s–%s)", value(sp.Min), value(sp.Max))
			}
			fmt.Fprintln(w)
		}
		if s.Target != "" {
			verdict := "MET"
			if s.Met != nil && !*s.Met {
				verdict = "NOT MET"
			}
			on := ""
			if s.Repeat > 1 {
				on = fmt.Sprintf(" (on the median of %d)", s.Repeat)
			}
			fmt.Fprintf(w, "%-22s target %s: %s%s\n", "", s.Target, verdict, on)
		}
		fmt.Fprintln(w)
	}
}

// value prints a figure with one decimal, two under 10 (CPU
// milliseconds per message).
func value(v float64) string {
	if v > -10 && v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func params(p map[string]any) string {
	var parts []string
	for _, k := range sortedKeys(p) {
		v := p[k]
		if f, ok := v.(float64); ok {
			v = fmt.Sprintf("%.4g", f)
		}
		parts = append(parts, fmt.Sprintf("%s=%v", k, v))
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
