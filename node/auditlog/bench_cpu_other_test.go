//go:build !unix

package auditlog

import "time"

// processCPU is unknown here: the benchmarks report no CPU figure.
func processCPU() time.Duration { return 0 }
