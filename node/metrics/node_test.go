package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/node/metrics"
	"github.com/casenode/casenode/protocol"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics and parses it as Prometheus does.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return fams
}

// value returns the value of the sample of name with the label pairs
// given as "k=v", or -1 if there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		for _, want := range labels {
			k, v, _ := strings.Cut(want, "=")
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestNodeMetrics scrapes two real nodes after a known exchange through a
// real hub: the exposition parses, the counters and gauges have the values
// the exchange implies, and /readyz says ready, then not ready with the
// hub gone.
func TestNodeMetrics(t *testing.T) {
	ctx := context.Background()
	hists := map[string]*prometheus.HistogramVec{}
	net, err := localnet.Create(ctx, t.TempDir(), localnet.Options{Network: "wacap", Country: "SN", Kind: protocol.KindClassic,
		Node: func(name string, o *agency.Options) {
			h := metrics.NodeCommitSeconds()
			hists[name] = h
			o.ObserveCommit = func(kind string, d time.Duration) { h.WithLabelValues(kind).Observe(d.Seconds()) }
		}},
		localnet.Agency{ID: "sn-pj-dakar", Name: "Parquet de Dakar", Country: "SN"},
		localnet.Agency{ID: "gh-ag", Name: "Attorney-General", Country: "GH"})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	if err := net.StartHub(ctx); err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	for _, a := range []string{"sn-pj-dakar", "gh-ag"} {
		n, err := net.Start(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.WaitReady(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
		s := metrics.NewServer(metrics.NodeReady(n), slog.New(slog.DiscardHandler))
		if err := metrics.RegisterNode(s.Registry(), n, hists[a], time.Now); err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		defer ts.Close()
		urls[a] = ts.URL
	}
	dakar := net.Node("sn-pj-dakar")
	for range 3 {
		_, err := dakar.Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "test"}, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Case: "c-1", Body: protocol.Example(protocol.TypeLead)})
		if err != nil {
			t.Fatal(err)
		}
	}
	poll.Until(t, 30*time.Second, "three delivered copies", func() bool {
		return value(scrape(t, urls["sn-pj-dakar"]), "casenode_node_copies", "state=delivered") == 3
	})

	a, b := scrape(t, urls["sn-pj-dakar"]), scrape(t, urls["gh-ag"])
	for _, c := range []struct {
		fams   map[string]*dto.MetricFamily
		name   string
		labels []string
		want   float64
	}{
		{a, "casenode_node_messages_sent_total", []string{"type=case.lead"}, 3},
		{b, "casenode_node_messages_received_total", []string{"type=case.lead"}, 3},
		{b, "casenode_node_inbox_messages", nil, 3},
		{b, "casenode_node_inbox_unread_messages", nil, 3},
		{a, "casenode_node_receipts_received_total", []string{"kind=delivered"}, 3},
		{a, "casenode_node_copies", []string{"state=queued"}, 0},
		{a, "casenode_node_hub_connected", nil, 1},
		{a, "casenode_node_ready", nil, 1},
		{a, "casenode_node_agency_active", nil, 1},
		{a, "casenode_node_audit_failed", nil, 0},
		{a, "casenode_node_hub_connects_total", nil, 1},
		{a, "casenode_node_oldest_waiting_message_age_seconds", nil, 0},
	} {
		if got := value(c.fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := value(a, "casenode_node_commit_duration_seconds", "kind=send"); got < 1 {
		t.Errorf("send commits observed: %v", got)
	}
	if got := value(b, "casenode_node_commit_duration_seconds", "kind=receive"); got < 1 {
		t.Errorf("receive commits observed: %v", got)
	}
	if got := value(a, "casenode_node_roster_expiry_seconds"); got < 24*3600 {
		t.Errorf("roster expiry in %v s", got)
	}
	if value(a, "go_goroutines") <= 0 || value(a, "process_resident_memory_bytes") <= 0 {
		t.Error("no Go or process collector")
	}

	get := func(path string) (int, string) {
		resp, err := http.Get(urls["sn-pj-dakar"] + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/readyz"); code != 200 || !strings.HasPrefix(body, "ready\nok hub: connected to nats://") || !strings.Contains(body, "ok roster: roster 3 in force") {
		t.Errorf("/readyz: %d %q", code, body)
	}
	if code, body := get("/healthz"); code != 200 || !strings.HasPrefix(body, "ok") {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if err := net.StopHub(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "not ready without the hub", func() bool {
		code, body := get("/readyz")
		return code == 503 && strings.Contains(body, "FAIL hub: the hub is offline")
	})
	if got := value(scrape(t, urls["sn-pj-dakar"]), "casenode_node_ready"); got != 0 {
		t.Errorf("ready gauge %v without the hub", got)
	}
}
