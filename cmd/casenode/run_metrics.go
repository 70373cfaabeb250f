package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// nodeMetrics is the metrics listener of 'casenode run', when node.json's
// metrics.listen sets one.
type nodeMetrics struct {
	commits *prometheus.HistogramVec
}

// newNodeMetrics returns the node's metrics if cfg enables them, and sets
// the options the node feeds them through; nil if not.
func newNodeMetrics(cfg *config.Node, o *agency.Options) *nodeMetrics {
	if cfg.Metrics.Listen == "" {
		return nil
	}
	m := &nodeMetrics{commits: metrics.NodeCommitSeconds()}
	o.ObserveCommit = func(kind string, d time.Duration) { m.commits.WithLabelValues(kind).Observe(d.Seconds()) }
	return m
}

// start serves the metrics of n on cfg's listener until ctx ends; the
// channel gives Serve's result. A nil m serves nothing.
func (m *nodeMetrics) start(ctx context.Context, cancel context.CancelFunc, n *agency.Node, cfg *config.Node, log *slog.Logger) (<-chan error, error) {
	done := make(chan error, 1)
	if m == nil {
		done <- nil
		return done, nil
	}
	s := metrics.NewServer(metrics.NodeReady(n), log)
	if err := metrics.RegisterNode(s.Registry(), n, m.commits, time.Now); err != nil {
		return nil, err
	}
	certs := map[string]string{"hub-client": cfg.TLSCertFile, "console": cfg.Console.TLSCertFile}
	if err := s.Registry().Register(metrics.CertCollector(certs, time.Now)); err != nil {
		return nil, err
	}
	if err := s.Listen(cfg.Metrics.Listen); err != nil {
		return nil, withHint(err, "change metrics.listen in node.json, or stop what listens there")
	}
	go func() {
		done <- s.Serve(ctx)
		cancel()
	}()
	return done, nil
}
