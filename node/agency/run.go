package agency

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/casenode/casenode/node/hubconn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Run connects to the hub and works until ctx ends: it keeps the roster up
// to date, receives and verifies messages and receipts, and publishes what
// the node has to send. While the hub is unreachable it tries again
// forever, with back-off, and says so in its log and its status; sending
// goes on meanwhile, into the outbox. Run returns nil when ctx ends.
func (n *Node) Run(ctx context.Context) error {
	if !n.running.CompareAndSwap(false, true) {
		return errors.New("the node is already running")
	}
	defer n.running.Store(false)
	if ue := n.audit.Uncovered(); ue != nil {
		// Nothing may reach a log the node cannot sign: it stays off the
		// hub and serves its status and alarms until it is stopped.
		n.hub.set(false, "", n.o.Now(), fmt.Errorf("not connecting: %w", ue))
		<-ctx.Done()
		return nil
	}
	nc, err := n.connect()
	if err != nil {
		return err
	}
	defer func() {
		nc.Close()
		n.hub.set(false, "", n.o.Now(), errors.New("the node stopped"))
	}()
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(n.o.MaxInFlight),
		jetstream.WithPublishAsyncTimeout(time.Duration(n.cfg.ResendTimeout)))
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { n.watchRoster(ctx, nc, js) })
	wg.Go(func() { n.receive(ctx, js) })
	wg.Go(func() { n.pub.run(ctx, js) })
	wg.Go(func() { n.xfer.run(ctx, nc) })
	wg.Go(func() { n.watchLiveness(ctx, nc) })
	wg.Go(func() { n.witnessCheckpoints(ctx, nc) })
	wg.Go(func() { n.peerWitnessCheckpoints(ctx, nc, js) })
	n.log.Info("node running", "network", n.cfg.Network, "hub", strings.Join(n.cfg.HubURLs, ","))
	wg.Wait()
	return nil
}

// connect makes the node's connection to the hub as the node connection
// contract says (package hubconn), with the node's own handlers. It
// returns at once: the connection is made, and made again, in the
// background, forever.
func (n *Node) connect() (*nats.Conn, error) {
	if hubconn.Plaintext(n.cfg) {
		n.log.Warn("the hub connection is not encrypted (nats:// beyond this machine): messages are sealed, but credentials and routing travel in clear",
			"hint", "ask the secretariat for the network CA certificate and a tls:// URL")
	}
	opts := append(append([]nats.Option(nil), n.connOpts...),
		// Publications fail at once while disconnected, rather than wait
		// in a buffer: the outbox is the buffer.
		nats.ReconnectBufSize(-1),
		nats.Timeout(5*time.Second),
		// The client's own liveness check: it drops a connection whose
		// pings go unanswered long after the node called it stalled.
		nats.PingInterval(n.o.StallAfter/3),
		nats.MaxPingsOutstanding(stallPingsOut),
		nats.CustomReconnectDelay(n.reconnectDelay),
		nats.ConnectHandler(n.onConnect),
		nats.ReconnectHandler(n.onConnect),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil {
				err = errors.New("disconnected")
			}
			n.hub.set(false, "", n.o.Now(), err)
			n.log.Warn("hub unreachable: the node is offline; messages wait in the outbox", "err", err)
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			err = n.explainConnectError(err)
			if n.hub.noteError(err) {
				n.log.Warn("cannot reach the hub; trying again", "err", err, "hint", connectHint(err))
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			if errors.Is(err, nats.ErrPermissionViolation) || strings.Contains(err.Error(), "ermissions violation") {
				n.log.Error("the hub refused an operation", "err", err, "subject", subject,
					"hint", "check network and agency in node.json against the credentials file")
				return
			}
			if n.hub.noteError(err) {
				n.log.Warn("hub connection", "err", err, "subject", subject, "hint", connectHint(err))
			}
		}),
	)
	nc, err := nats.Connect(hubconn.URL(n.cfg), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to the hub: %w", err)
	}
	return nc, nil
}

// watchLiveness asks the hub for an answer (PING, PONG) every ninth of
// StallAfter while connected, and calls the link stalled when none came
// for StallAfter, online again when one comes. A link can go silent
// without closing (a satellite or mobile link losing its carrier): the
// connection looks open, and anything published into it waits behind the
// stall. Each question waits a ninth of StallAfter for its answer, and
// after an unanswered one the next is asked at once, so a stall is
// declared between StallAfter and StallAfter plus a ninth of it after the
// hub's last answer.
func (n *Node) watchLiveness(ctx context.Context, nc *nats.Conn) {
	every := n.o.StallAfter / 9
	last := n.o.Now()
	answered := true
	for {
		if answered {
			select {
			case <-ctx.Done():
				return
			case <-time.After(every):
			}
		} else if ctx.Err() != nil {
			return
		}
		if !nc.IsConnected() {
			last, answered = n.o.Now(), true
			continue
		}
		err := nc.FlushTimeout(every)
		now := n.o.Now()
		if answered = err == nil; answered {
			last = now
			n.hub.setStalled(false, now)
			continue
		}
		if now.Sub(last) >= n.o.StallAfter {
			if gen, usable := n.hub.generation(); usable && gen > 0 {
				n.log.Warn("the hub has not answered for a while: the link is stalled; nothing is published until it answers",
					"silent_for", now.Sub(last).Round(time.Second))
			}
			n.hub.setStalled(true, now)
		}
	}
}

func (n *Node) onConnect(nc *nats.Conn) {
	url := nc.ConnectedUrlRedacted()
	n.counts.connected()
	n.hub.set(true, url, n.o.Now(), nil)
	n.log.Info("hub reachable: the node is online", "url", url)
}

// reconnectDelay is the wait before the next round of connection
// attempts: it doubles from ReconnectWait up to MaxReconnectWait, with up
// to a quarter of jitter so that nodes do not all come back at once.
func (n *Node) reconnectDelay(attempts int) time.Duration {
	d := min(n.o.ReconnectWait<<min(attempts-1, 30), n.o.MaxReconnectWait)
	return d + rand.N(d/4+1)
}

// connectHint says what to do about a connection error.
func connectHint(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "Authorization Violation"), strings.Contains(s, "authorization"):
		return "the hub refused the credentials: wrong, revoked, suspended or unknown; ask the secretariat"
	case strings.Contains(s, "x509"), strings.Contains(s, "certificate"):
		return "TLS: check ca_file and hub_urls in node.json (and tls_cert_file if the hub verifies clients)"
	case strings.Contains(s, "connection refused"), strings.Contains(s, "no servers"), strings.Contains(s, "i/o timeout"):
		return "the hub is down or unreachable from here; the node keeps trying"
	}
	return ""
}
