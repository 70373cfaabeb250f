// Package poll is for tests: it waits for a condition that a server, a node
// or a process makes true in its own time, calling it with a short backoff
// instead of sleeping a fixed time, and fails the test after a deadline.
// Only tests import it (cmd/casenode/arch_test.go holds that).
package poll

import "time"

// T is what Until needs of a test: *testing.T, *testing.B and testscript's
// *TestScript all have it.
type T interface {
	Fatalf(format string, args ...any)
}

// maxWait bounds the pause between two calls of a condition.
const maxWait = 50 * time.Millisecond

// Until calls cond until it returns true, pausing from 1 ms doubling up to
// 50 ms between calls, and fails t with what it waited for once timeout has
// passed. Give generous timeouts: a loaded machine is slow, and Until
// returns as soon as cond holds.
func Until(t T, timeout time.Duration, what string, cond func() bool) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; !cond(); wait = min(2*wait, maxWait) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
			return
		}
		time.Sleep(wait)
	}
}
