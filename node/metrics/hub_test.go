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
)

// TestHubMetrics scrapes a real hub after a known exchange: the members'
// connections, the copies waiting for a member whose node is stopped and
// their age, the roster, the embedded server's figures; and /readyz.
func TestHubMetrics(t *testing.T) {
	ctx := context.Background()
	net, err := localnet.Create(ctx, t.TempDir(), localnet.Options{Network: "wacap", Country: "SN", Kind: protocol.KindClassic},
		localnet.Agency{ID: "sn-pj-dakar", Name: "Parquet de Dakar", Country: "SN"},
		localnet.Agency{ID: "gh-ag", Name: "Attorney-General", Country: "GH"})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	if err := net.StartHub(ctx); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sn-pj-dakar", "gh-ag"} {
		if _, err := net.Start(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := net.WaitReady(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
	}
	s := metrics.NewServer(metrics.HubReady(net.Hub()), slog.New(slog.DiscardHandler))
	s.Registry().MustRegister(metrics.HubCollector(net.Hub(), time.Now))
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	poll.Until(t, 30*time.Second, "both members connected", func() bool {
		m := scrape(t, ts.URL)
		return value(m, "casenode_hub_member_connections", "agency=gh-ag") >= 1 && value(m, "casenode_hub_member_connections", "agency=sn-pj-dakar") >= 1
	})
	if err := net.Stop("gh-ag"); err != nil {
		t.Fatal(err)
	}
	dakar := net.Node("sn-pj-dakar")
	for range 2 {
		if _, err := dakar.Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "test"}, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Case: "c-1", Body: protocol.Example(protocol.TypeLead)}); err != nil {
			t.Fatal(err)
		}
	}
	poll.Until(t, 30*time.Second, "two copies waiting for gh-ag", func() bool {
		return value(scrape(t, ts.URL), "casenode_hub_member_waiting_copies", "agency=gh-ag") == 2
	})
	m := scrape(t, ts.URL)
	for _, c := range []struct {
		name   string
		labels []string
		ok     func(float64) bool
		want   string
	}{
		{"casenode_hub_member_connections", []string{"agency=gh-ag"}, func(v float64) bool { return v == 0 }, "0 once its node stopped"},
		{"casenode_hub_member_oldest_waiting_age_seconds", []string{"agency=gh-ag"}, func(v float64) bool { return v > 0 && v < 600 }, "the age of a copy just sent"},
		{"casenode_hub_member_stored_messages", []string{"agency=sn-pj-dakar"}, func(v float64) bool { return v >= 2 }, "at least the 2 messages"},
		{"casenode_hub_member_publications_refused_total", []string{"agency=sn-pj-dakar"}, func(v float64) bool { return v == 0 }, "0"},
		{"casenode_hub_member_over_limit", []string{"agency=sn-pj-dakar"}, func(v float64) bool { return v == 0 }, "0"},
		{"casenode_hub_roster_serial", nil, func(v float64) bool { return v == 3 }, "3"},
		{"casenode_hub_roster_expiry_seconds", nil, func(v float64) bool { return v > 24*3600 }, "over a day"},
		{"casenode_hub_jetstream_messages", nil, func(v float64) bool { return v >= 2 }, "at least 2"},
		{"casenode_hub_jetstream_consumers", nil, func(v float64) bool { return v >= 3 }, "an inbox per member"},
		{"casenode_hub_nats_in_messages_total", nil, func(v float64) bool { return v > 0 }, "more than 0"},
	} {
		if v := value(m, c.name, c.labels...); !c.ok(v) {
			t.Errorf("%s%v = %v, want %s", c.name, c.labels, v, c.want)
		}
	}
	resp, err := http.Get(ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ok jetstream: JetStream is enabled") || !strings.Contains(string(body), "ok roster: roster 3 in force") {
		t.Errorf("/readyz: %d %q", resp.StatusCode, body)
	}
}
