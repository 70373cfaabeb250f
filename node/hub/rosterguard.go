package hub

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
)

// rosterGuard puts the roster in force back into the roster bucket whenever
// the bucket takes anything else. Only the hub writes there: each member
// is in an account of its own, so that the answers to their requests cannot
// land in the bucket whatever reply subject they name (issue #10). The
// guard remains for a mistake of the hub's own: nodes refuse what does not
// verify, and an older roster; the guard makes the bucket right again at
// once.
type rosterGuard struct {
	h   *Hub
	sub *nats.Subscription

	mu  sync.Mutex // serializes repairs and guards log
	log refusalLog
}

// guardRoster starts the guard on the hub's service connection.
func (h *Hub) guardRoster() (*rosterGuard, error) {
	g := &rosterGuard{h: h}
	sub, err := h.nc.Subscribe(rosterSubject(h.cfg.Network), g.check)
	if err != nil {
		return nil, fmt.Errorf("watch the roster bucket: %w", err)
	}
	g.sub = sub
	return g, h.nc.Flush()
}

// check restores the roster in force if data, the bucket's new value, is
// not it.
func (g *rosterGuard) check(m *nats.Msg) {
	g.mu.Lock()
	defer g.mu.Unlock()
	// Under the hub's lock: a reload publishing a new roster is not
	// overtaken by a repair with the old one.
	g.h.mu.Lock()
	defer g.h.mu.Unlock()
	sr := g.h.roster
	if bytes.Equal(m.Data, sr.JWS) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	_, err := g.h.kv.Put(ctx, protocol.RosterKey, sr.JWS)
	g.log.log(g.h.log, time.Now(), "roster bucket", "the roster bucket took a value the hub did not write (a JetStream answer sent there by a client): the roster in force is put back",
		"size", len(m.Data), "serial", sr.Roster.Serial, "err", err)
}

// stop ends the guard.
func (g *rosterGuard) stop() {
	if g != nil && g.sub != nil {
		if err := g.sub.Unsubscribe(); err != nil {
			g.h.log.Debug("unsubscribe roster guard", "err", err)
		}
	}
}
