package console

import (
	"sync"
	"time"
)

// Login rate limit: after maxFailures failed sign-ins for one account
// name or from one address within failureWindow, further attempts are
// refused until the window has passed.
const (
	maxFailures   = 5
	failureWindow = 15 * time.Minute
	// maxTracked bounds the limiter's memory: past it, the oldest windows
	// are forgotten.
	maxTracked = 10000
)

type failures struct {
	n     int
	start time.Time
}

// limiter counts failed sign-ins by key (account name, remote address).
type limiter struct {
	mu  sync.Mutex
	m   map[string]*failures
	now func() time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{m: map[string]*failures{}, now: now}
}

// blocked says whether any of keys has used up its attempts.
func (l *limiter) blocked(keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		if f := l.m[k]; f != nil && now.Sub(f.start) < failureWindow && f.n >= maxFailures {
			return true
		}
	}
	return false
}

// fail counts a failed sign-in against keys.
func (l *limiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) >= maxTracked {
		for k, f := range l.m {
			if now.Sub(f.start) >= failureWindow {
				delete(l.m, k)
			}
		}
		if len(l.m) >= maxTracked {
			clear(l.m)
		}
	}
	for _, k := range keys {
		f := l.m[k]
		if f == nil || now.Sub(f.start) >= failureWindow {
			f = &failures{start: now}
			l.m[k] = f
		}
		f.n++
	}
}

// reset forgets the failures of keys after a successful sign-in.
func (l *limiter) reset(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.m, k)
	}
}
