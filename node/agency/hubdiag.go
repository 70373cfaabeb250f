package agency

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
)

// diagDialTimeout bounds the probe explainConnectError makes.
const diagDialTimeout = 2 * time.Second

// explainConnectError replaces nats's "no servers available", which hides
// why no hub URL answered, with the reason of the first URL: a TCP error
// (connection refused, no such host, timeout) when the hub cannot be
// reached at all; otherwise the hub answers at that address and refused
// the connection itself (TLS, credentials), which the error handlers
// report.
func (n *Node) explainConnectError(err error) error {
	if !errors.Is(err, nats.ErrNoServers) || len(n.cfg.HubURLs) == 0 {
		return err
	}
	u, perr := url.Parse(n.cfg.HubURLs[0])
	if perr != nil || u.Host == "" {
		return err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "4222")
	}
	c, derr := net.DialTimeout("tcp", host, diagDialTimeout)
	if derr != nil {
		return fmt.Errorf("cannot reach the hub at %s: %w", host, derr)
	}
	c.Close()
	return fmt.Errorf("the hub at %s answers but the connection failed (TLS or credentials): %w", host, err)
}
