//go:build unix

package auditlog

import (
	"syscall"
	"time"
)

// processCPU is the CPU time, user and system, the process has used: on
// a shared machine, records per CPU second say more than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
