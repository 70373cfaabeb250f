package agency

import (
	"sync"
	"time"
)

// The flow of publications fits what the link carries: the publications
// in flight are at most what the hub acknowledged in the last
// flowHorizon's worth of queueDelay, so that a publication waits at most
// about queueDelay in the connection before it leaves, whatever the
// link's speed (on a 256 kbit/s link, some 50 post-quantum leads; on a
// LAN, MaxInFlight). A backlog then waits in the outbox, not in the
// connection's buffer, where each publication would wait behind hundreds
// of others, its acknowledgement timeout running, and the roster read
// after a reconnection with it.
const (
	// initialWindow is the window before any acknowledgement, and its
	// floor: enough to fill a slow, distant link (a 600 ms round trip at
	// 10 messages a second needs 6).
	initialWindow = 16
	// queueDelay is how long a publication may wait in the connection.
	queueDelay = 5 * time.Second
	// flowHorizon is how far back acknowledgements count.
	flowHorizon = 10 * time.Second
)

// window bounds the publications in flight by the acknowledged
// throughput.
type window struct {
	mu   sync.Mutex
	max  int
	acks []time.Time // acknowledgements within flowHorizon, oldest first
}

func newWindow(max int) window { return window{max: max} }

// size returns how many publications may be in flight at now.
func (w *window) size(now time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prune(now)
	n := int(int64(len(w.acks)) * int64(queueDelay) / int64(flowHorizon))
	return min(max(n, initialWindow), w.max)
}

// acked counts an acknowledgement at now.
func (w *window) acked(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prune(now)
	w.acks = append(w.acks, now)
}

func (w *window) prune(now time.Time) {
	i := 0
	for i < len(w.acks) && now.Sub(w.acks[i]) > flowHorizon {
		i++
	}
	if i > 0 {
		w.acks = append(w.acks[:0], w.acks[i:]...)
	}
}
