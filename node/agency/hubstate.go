package agency

import (
	"sync"
	"time"
)

// hubState is what the node knows of its connection to the hub. Every
// change closes the channel that watch returned, so that loops waiting
// for the hub wake up.
type hubState struct {
	mu      sync.Mutex
	online  bool
	stalled bool   // online, but nothing from the hub for StallAfter
	gen     uint64 // counts the connections made
	since   time.Time
	url     string
	lastErr string
	changed chan struct{}
	// overLimit is the hub's last refusal for being over one of this
	// agency's limits, until a publication is taken again.
	overLimit      string
	overLimitSince time.Time
}

// noteLimit records the hub's answer to a publication: err is the hub's
// refusal for being over a limit, or nil when the hub took a publication.
// It reports whether the state changed.
func (h *hubState) noteLimit(err error, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		changed := h.overLimit != ""
		h.overLimit, h.overLimitSince = "", time.Time{}
		return changed
	}
	if h.overLimit == "" {
		h.overLimitSince = now
	}
	changed := h.overLimit != err.Error()
	h.overLimit = err.Error()
	return changed
}

func newHubState(now time.Time) *hubState {
	return &hubState{since: now, changed: make(chan struct{})}
}

// set records a change of connection.
func (h *hubState) set(online bool, url string, now time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if online != h.online || h.stalled {
		h.since = now
	}
	if online {
		h.gen++
	}
	h.online, h.url, h.stalled = online, url, false
	if err != nil {
		h.lastErr = err.Error()
	} else if online {
		h.lastErr = ""
	}
	close(h.changed)
	h.changed = make(chan struct{})
}

// setStalled records whether the open connection has gone silent.
func (h *hubState) setStalled(stalled bool, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.online || stalled == h.stalled {
		return
	}
	h.stalled, h.since = stalled, now
	if stalled {
		h.lastErr = "the hub has not answered for a while: the link is stalled"
	}
	close(h.changed)
	h.changed = make(chan struct{})
}

// generation returns the number of the current connection (0 before the
// first) and whether it is usable: open and not stalled.
func (h *hubState) generation() (gen uint64, usable bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gen, h.online && !h.stalled
}

// noteError records the latest connection error without a change of state.
// It reports whether the error differs from the one before.
func (h *hubState) noteError(err error) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := err.Error()
	if s == h.lastErr {
		return false
	}
	h.lastErr = s
	return true
}

// watch returns whether the hub is reachable (connected and not stalled)
// and a channel closed at the next change.
func (h *hubState) watch() (online bool, changed <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.online && !h.stalled, h.changed
}

// HubStatus is the state of the node's connection to the hub.
type HubStatus struct {
	// State is "online", "stalled" (connected, but the hub has not
	// answered for a while: nothing is published) or "offline".
	State string `json:"state"`
	// Since is when the node came online or went offline.
	Since time.Time `json:"since"`
	// URL is the hub URL the node is connected to, when online.
	URL string `json:"url,omitempty"`
	// LastError is the last connection error, if any.
	LastError string `json:"last_error,omitempty"`
	// OverLimit is the hub's refusal of this agency's publications for
	// being over one of its limits (hub.json member_limits), while it
	// lasts: the publications wait in the outbox and go again.
	OverLimit      string     `json:"over_limit,omitempty"`
	OverLimitSince *time.Time `json:"over_limit_since,omitempty"`
}

func (h *hubState) status() HubStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := HubStatus{State: "offline", Since: h.since, LastError: h.lastErr, OverLimit: h.overLimit}
	if h.overLimit != "" {
		since := h.overLimitSince
		s.OverLimitSince = &since
	}
	if h.online {
		s.State, s.URL = "online", h.url
		if h.stalled {
			s.State = "stalled"
		}
	}
	return s
}
