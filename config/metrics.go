package config

import (
	"fmt"
	"net"
)

// Metrics is the listener of a node's or a hub's Prometheus metrics
// (/metrics) and health endpoints (/healthz, /readyz). It is off unless
// Listen is set.
type Metrics struct {
	// Listen is HOST:PORT, e.g. 127.0.0.1:9464. The endpoints need no
	// credentials and say how the node or hub fares: keep them on
	// loopback, or behind a firewall that lets the monitoring server in.
	Listen string `json:"listen,omitempty"`
}

// DefaultMetricsListen is the address the documentation suggests:
// loopback, Prometheus's default port range.
const DefaultMetricsListen = "127.0.0.1:9464"

// validate checks the metrics listener; field is "node" or "hub".
func (m *Metrics) validate(field string) error {
	if m.Listen == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(m.Listen)
	if err != nil || port == "" || (host != "" && net.ParseIP(host) == nil && host != "localhost") {
		return fmt.Errorf("%s.metrics.listen: %q is not HOST:PORT (an IP address or localhost, e.g. %s)", field, m.Listen, DefaultMetricsListen)
	}
	return nil
}
