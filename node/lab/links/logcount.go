package links

import (
	"context"
	"log/slog"
	"strings"
	"sync"
)

// logCounter is a slog.Handler that counts the records whose message
// starts with one of its prefixes: what a scenario wants to know of a
// node's log (roster reads that failed, stalls declared).
type logCounter struct {
	prefixes []string
	mu       *sync.Mutex
	counts   map[string]int
}

func newLogCounter(prefixes ...string) *logCounter {
	return &logCounter{prefixes: prefixes, mu: &sync.Mutex{}, counts: map[string]int{}}
}

func (h *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	for _, p := range h.prefixes {
		if strings.HasPrefix(r.Message, p) {
			h.mu.Lock()
			h.counts[p]++
			h.mu.Unlock()
		}
	}
	return nil
}

func (h *logCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCounter) WithGroup(string) slog.Handler      { return h }

// count returns how many records started with prefix.
func (h *logCounter) count(prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[prefix]
}
