// Package batch gathers what waits on a channel into one batch, so that a
// committer writes in one transaction, with one sync, everything queued
// while it was writing the previous one. The batching window is the time
// the previous write took, never a timer.
package batch

// Drain appends to b, without waiting, the items waiting on ch, until b
// holds max items (max <= 0: no bound) or ch is empty or closed.
func Drain[T any](b []T, ch <-chan T, max int) []T {
	for max <= 0 || len(b) < max {
		select {
		case x, ok := <-ch:
			if !ok {
				return b
			}
			b = append(b, x)
		default:
			return b
		}
	}
	return b
}
