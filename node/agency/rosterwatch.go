package agency

import (
	"context"
	"errors"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// watchRoster reads the roster from the hub's bucket at every
// (re)connection, every RosterInterval and whenever a message comes on the
// bucket's subject, until ctx ends. Such a message is only a signal to
// read the bucket: other members can address messages to that subject
// too (as the reply subject of their own requests to the hub), so its
// content is not offered as a roster.
func (n *Node) watchRoster(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) {
	pushed := make(chan struct{}, 1)
	subject := "$KV." + protocol.RosterBucket(n.cfg.Network) + "." + protocol.RosterKey
	sub, err := nc.Subscribe(subject, func(*nats.Msg) {
		select {
		case pushed <- struct{}{}:
		default:
		}
	})
	if err != nil {
		n.log.Warn("cannot watch the roster; reading it every interval instead", "err", err)
	} else {
		defer sub.Unsubscribe()
	}
	tick := time.NewTicker(n.o.RosterInterval)
	defer tick.Stop()
	var kv jetstream.KeyValue
	var warned time.Time
	for {
		online, changed := n.hub.watch()
		if online {
			kv = n.fetchRoster(ctx, js, kv)
		}
		warned = n.warnExpiry(warned)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-changed:
		case <-pushed:
		}
	}
}

// fetchRoster reads the roster bucket and offers its value. It returns the
// bucket handle for the next time, or nil if it could not get one.
func (n *Node) fetchRoster(ctx context.Context, js jetstream.JetStream, kv jetstream.KeyValue) jetstream.KeyValue {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var err error
	if kv == nil {
		if kv, err = js.KeyValue(ctx, protocol.RosterBucket(n.cfg.Network)); err != nil {
			n.log.Warn("cannot open the hub's roster bucket", "err", err)
			return nil
		}
	}
	e, err := kv.Get(ctx, protocol.RosterKey)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		n.log.Warn("the hub has not published a roster yet")
	case err != nil:
		// Bind the bucket afresh next time: a handle keeps the way of
		// reading (direct gets or not) the bucket had when it was bound.
		n.log.Warn("cannot read the roster", "err", err)
		return nil
	default:
		n.takeRoster(ctx, e.Value())
	}
	return kv
}

// takeRoster offers a signed roster and reports a refusal loudly; it
// returns the refusal.
func (n *Node) takeRoster(ctx context.Context, signed []byte) error {
	err := n.offerRoster(ctx, signed)
	if err != nil {
		n.log.Error("roster refused", "err", err)
	}
	return err
}

// ExpiryWarning is how long before the roster in force expires the node
// starts to warn.
const ExpiryWarning = 30 * 24 * time.Hour

// warnExpiry logs, at most once an hour once the roster in force expired
// and once a day in the ExpiryWarning before, that the secretariat must
// renew it. It returns the time of the last warning.
func (n *Node) warnExpiry(last time.Time) time.Time {
	rf := n.rosterNow()
	if rf == nil {
		return last
	}
	now, expires := n.o.Now(), rf.roster.Expires.Time
	switch {
	case !now.Before(expires) && now.Sub(last) >= time.Hour:
		n.log.Error("the roster in force has expired: the node keeps using it, but the secretariat must run 'casenode hub renew'",
			"serial", rf.roster.Serial, "expired", rf.roster.Expires.String())
		return now
	case now.Before(expires) && expires.Sub(now) < ExpiryWarning && now.Sub(last) >= 24*time.Hour:
		n.log.Warn("the roster in force expires soon: ask the secretariat to run 'casenode hub renew'",
			"serial", rf.roster.Serial, "expires", rf.roster.Expires.String())
		return now
	}
	return last
}
