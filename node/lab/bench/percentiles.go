package bench

import (
	"slices"
	"time"
)

// PercentilesOf summarises durations in milliseconds; it sorts ds.
func PercentilesOf(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(q*float64(len(ds))+0.5) - 1
		i = max(0, min(i, len(ds)-1))
		return float64(ds[i]) / float64(time.Millisecond)
	}
	return Percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: float64(ds[len(ds)-1]) / float64(time.Millisecond)}
}
