package agency

import (
	"testing"
	"time"
)

// TestWindowFollowsAcknowledgements: the publications in flight are
// initialWindow before any acknowledgement, then what the hub acknowledged
// in the last flowHorizon scaled to queueDelay, at most MaxInFlight; old
// acknowledgements stop counting.
func TestWindowFollowsAcknowledgements(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	w := newWindow(256)
	if got := w.size(t0); got != initialWindow {
		t.Fatalf("before any acknowledgement: %d, want %d", got, initialWindow)
	}
	// A 256 kbit/s link: about 9 post-quantum leads a second for 10 s.
	for i := range 94 {
		w.acked(t0.Add(time.Duration(i) * 106 * time.Millisecond))
	}
	now := t0.Add(10 * time.Second)
	if got := w.size(now); got != 47 {
		t.Fatalf("after 94 acknowledgements in 10 s: %d, want 47 (5 s worth)", got)
	}
	// A fast link: capped.
	for i := range 5000 {
		w.acked(now.Add(time.Duration(i) * time.Millisecond))
	}
	if got := w.size(now.Add(5 * time.Second)); got != 256 {
		t.Fatalf("after 5,000 acknowledgements in 5 s: %d, want 256", got)
	}
	// After a cut, nothing recent: back to the floor.
	if got := w.size(now.Add(time.Minute)); got != initialWindow {
		t.Fatalf("a minute later: %d, want %d", got, initialWindow)
	}
}
