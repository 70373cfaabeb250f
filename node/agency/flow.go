package agency

import "sync"

// initialWindow is how many publications may wait for the hub's
// acknowledgement when a node starts: a few messages' worth of a slow
// link, enough for a fast one to open the window within milliseconds.
const initialWindow = 16

// window bounds the publications in flight to what the link has shown it
// carries: it grows by one with every acknowledgement (doubling each round
// trip while the link keeps up), up to MaxInFlight, and halves when an
// acknowledgement is late. On a slow link a backlog then waits in the
// outbox, not in the connection's buffer, where a publication would wait
// behind hundreds of others and look lost.
type window struct {
	mu       sync.Mutex
	cur, max int
}

func newWindow(max int) window { return window{cur: min(initialWindow, max), max: max} }

// size returns how many publications may be in flight now.
func (w *window) size() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cur
}

// acked grows the window after an acknowledgement.
func (w *window) acked() {
	w.mu.Lock()
	w.cur = min(w.cur+1, w.max)
	w.mu.Unlock()
}

// late halves the window after a late acknowledgement.
func (w *window) late() {
	w.mu.Lock()
	w.cur = max(w.cur/2, 1)
	w.mu.Unlock()
}
