package gate

import (
	"sync"
	"time"
)

// Sign-in rate limit: after MaxFailures failed sign-ins for one key (an
// account name, a remote address) within FailureWindow, further attempts
// are refused until the window has passed.
const (
	MaxFailures   = 5
	FailureWindow = 15 * time.Minute
	// maxTracked bounds the limiter's memory: past it, the oldest windows
	// are forgotten.
	maxTracked = 10000
)

type failures struct {
	n     int
	start time.Time
}

// Limiter counts failed sign-ins by key.
type Limiter struct {
	mu  sync.Mutex
	m   map[string]*failures
	now func() time.Time
}

// NewLimiter returns a limiter on the clock now.
func NewLimiter(now func() time.Time) *Limiter {
	return &Limiter{m: map[string]*failures{}, now: now}
}

// Blocked says whether any of keys has used up its attempts.
func (l *Limiter) Blocked(keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		if f := l.m[k]; f != nil && now.Sub(f.start) < FailureWindow && f.n >= MaxFailures {
			return true
		}
	}
	return false
}

// Fail counts a failed sign-in against keys.
func (l *Limiter) Fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) >= maxTracked {
		for k, f := range l.m {
			if now.Sub(f.start) >= FailureWindow {
				delete(l.m, k)
			}
		}
		if len(l.m) >= maxTracked {
			clear(l.m)
		}
	}
	for _, k := range keys {
		f := l.m[k]
		if f == nil || now.Sub(f.start) >= FailureWindow {
			f = &failures{start: now}
			l.m[k] = f
		}
		f.n++
	}
}

// Reset forgets the failures of keys after a successful sign-in.
func (l *Limiter) Reset(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.m, k)
	}
}
