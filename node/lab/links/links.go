// Package links runs casenode over degraded links: a Toxiproxy proxy
// (github.com/Shopify/toxiproxy/v2, in-process, loopback only) between one
// agency's node and the hub adds latency, limits bandwidth, cuts and
// stalls the link, and a bench.Meter in front of it counts what the node
// puts on the link. The scenarios are those of issues #18 and #21: a
// steady link (a burst for its throughput, a paced run for its latency),
// a long cut with a backlog over a slow, distant link, a link that goes
// down again and again while messages flow, a silent stall, and the time
// to reconnect. `make links` runs them full size and prints the tables;
// `make test` runs them short.
package links

import (
	"context"
	"fmt"
	"strings"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/collectors"
	"github.com/casenode/casenode/node/lab/bench"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Link is one agency's degraded link to the hub: the node dials the
// meter, the meter the proxy, the proxy the hub.
type Link struct {
	proxy *toxiproxy.Proxy
	Meter *bench.Meter
}

// NewLink starts a proxy to hub and a meter in front of it, both on
// random loopback ports.
func NewLink(hub string) (*Link, error) {
	// Toxiproxy's toxics log through zerolog's global logger; the lab has
	// nothing to learn from their traces.
	zerolog.SetGlobalLevel(zerolog.WarnLevel)
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	srv.Metrics.ProxyMetrics = collectors.NewProxyMetricCollectors()
	p := toxiproxy.NewProxy(srv, "hub", "127.0.0.1:0", hub)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("start the proxy: %w", err)
	}
	m, err := bench.NewMeter(p.Listen)
	if err != nil {
		p.Stop()
		return nil, err
	}
	return &Link{proxy: p, Meter: m}, nil
}

// Addr is the address the node dials.
func (l *Link) Addr() string { return l.Meter.Addr() }

// Shape gives the link a one-way latency with jitter in both directions
// and, if rate is not zero, a bandwidth of rate KB/s (1,000 bytes) from
// the node to the hub: 32 is 256 kbit/s.
func (l *Link) Shape(latencyMS, jitterMS, rateKB int) error {
	for _, stream := range []string{"upstream", "downstream"} {
		if err := l.add(fmt.Sprintf(`{"name":"latency-%s","type":"latency","stream":%q,"attributes":{"latency":%d,"jitter":%d}}`, stream, stream, latencyMS, jitterMS)); err != nil {
			return err
		}
	}
	if rateKB > 0 {
		return l.add(fmt.Sprintf(`{"name":"bandwidth","type":"bandwidth","stream":"upstream","attributes":{"rate":%d}}`, rateKB))
	}
	return nil
}

// Cut closes the link and every connection through it, as a cable pulled
// out; Restore opens it again on the same address.
func (l *Link) Cut() { l.proxy.Stop() }

// Restore ends a cut.
func (l *Link) Restore() error { return l.proxy.Start() }

// Stall lets nothing through in either direction without closing
// anything: a link that went silent. Unstall removes the stall, which
// closes the connections that were stalled.
func (l *Link) Stall() error {
	for _, stream := range []string{"upstream", "downstream"} {
		if err := l.add(fmt.Sprintf(`{"name":"stall-%s","type":"timeout","stream":%q,"attributes":{"timeout":0}}`, stream, stream)); err != nil {
			return err
		}
	}
	return nil
}

// Unstall ends a stall.
func (l *Link) Unstall() error {
	for _, stream := range []string{"upstream", "downstream"} {
		if err := l.proxy.Toxics.RemoveToxic(context.Background(), "stall-"+stream); err != nil {
			return err
		}
	}
	return nil
}

func (l *Link) add(js string) error {
	if _, err := l.proxy.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		return fmt.Errorf("toxic %s: %w", js, err)
	}
	return nil
}

// Close stops the meter and the proxy.
func (l *Link) Close() {
	l.Meter.Close()
	l.proxy.Stop()
}

// ShapeDown limits the bandwidth from the hub to the node to rate KB/s
// (1,000 bytes).
func (l *Link) ShapeDown(rateKB int) error {
	return l.add(fmt.Sprintf(`{"name":"bandwidth-down","type":"bandwidth","stream":"downstream","attributes":{"rate":%d}}`, rateKB))
}
