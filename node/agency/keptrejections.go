package agency

import (
	"sync"
	"time"
)

// keptRejections bounds the rejections of one publisher whose bytes the
// audit log keeps in full, per clock hour (node.json's
// rejections_kept_per_hour): past it, a rejection keeps the input's hash
// and size only. A member flooding the node with garbage is still recorded
// input by input, but cannot grow the audit log by more than the bound's
// worth of bytes an hour. The count restarts with the node.
type keptRejections struct {
	perHour int

	mu    sync.Mutex
	hour  time.Time      // the hour being counted
	count map[string]int // publisher → rejections kept in full this hour
}

// keep reports whether res, if it is a rejection, keeps its input's bytes,
// and counts it.
func (k *keptRejections) keep(res *result, now time.Time) bool {
	if res.kind != kindRejected {
		return true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if h := now.Truncate(time.Hour); !h.Equal(k.hour) || k.count == nil {
		k.hour, k.count = h, map[string]int{}
	}
	publisher := res.publisher
	if publisher == "" {
		publisher = res.from
	}
	if k.count[publisher] >= k.perHour {
		return false
	}
	k.count[publisher]++
	return true
}
