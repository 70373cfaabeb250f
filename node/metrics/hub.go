package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/casenode/casenode/node/hub"
	"github.com/prometheus/client_golang/prometheus"
)

// hubCollector reads a hub's figures at each scrape: its members' health
// (package hub), its roster and alarms, and the embedded NATS server's own
// figures through its Go API.
type hubCollector struct {
	h   *hub.Hub
	now func() time.Time

	conns, waiting, oldest, refused, storedMsgs, storedBytes, quotaBytes, over *prometheus.Desc
	serial, expiry, alarms                                                     *prometheus.Desc
	natsConns, inMsgs, outMsgs, inBytes, outBytes, slow                        *prometheus.Desc
	jsStreams, jsConsumers, jsMsgs, jsBytes                                    *prometheus.Desc
}

func hdesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("casenode_hub_"+name, help, labels, nil)
}

// HubCollector returns the collector of hub h's figures, read at each
// scrape by the clock now. The agency label is bounded by the roster.
func HubCollector(h *hub.Hub, now func() time.Time) prometheus.Collector {
	return &hubCollector{h: h, now: now,
		conns:       hdesc("member_connections", "Open NATS connections of a member agency.", "agency"),
		waiting:     hdesc("member_waiting_copies", "Copies waiting in a member's inbox consumer.", "agency"),
		oldest:      hdesc("member_oldest_waiting_age_seconds", "Age of the oldest copy waiting in a member's inbox consumer; 0 when none waits.", "agency"),
		refused:     hdesc("member_publications_refused_total", "Publications of a member the hub refused since it started.", "agency"),
		storedMsgs:  hdesc("member_stored_messages", "Messages a member published that the hub still holds.", "agency"),
		storedBytes: hdesc("member_stored_bytes", "Bytes of the messages a member published that the hub still holds.", "agency"),
		quotaBytes:  hdesc("member_quota_bytes", "The bytes a member may have stored at the hub (member_limits.stored_bytes).", "agency"),
		over:        hdesc("member_over_limit", "1 while a member is over one of its limits, else 0.", "agency"),
		serial:      hdesc("roster_serial", "Serial of the roster in force."),
		expiry:      hdesc("roster_expiry_seconds", "Seconds until the roster in force expires (negative once expired)."),
		alarms:      hdesc("alarms", "Alarms the secretariat's console shows now."),
		natsConns:   hdesc("nats_connections", "Client connections of the embedded NATS server."),
		inMsgs:      hdesc("nats_in_messages_total", "Messages the embedded NATS server received."),
		outMsgs:     hdesc("nats_out_messages_total", "Messages the embedded NATS server sent."),
		inBytes:     hdesc("nats_in_bytes_total", "Bytes the embedded NATS server received."),
		outBytes:    hdesc("nats_out_bytes_total", "Bytes the embedded NATS server sent."),
		slow:        hdesc("nats_slow_consumers_total", "Clients the embedded NATS server found too slow to keep up."),
		jsStreams:   hdesc("jetstream_streams", "JetStream streams (the messages, the roster bucket…)."),
		jsConsumers: hdesc("jetstream_consumers", "JetStream consumers (one inbox per member, …)."),
		jsMsgs:      hdesc("jetstream_messages", "Messages JetStream holds."),
		jsBytes:     hdesc("jetstream_bytes", "Bytes JetStream holds."),
	}
}

func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.waiting, c.oldest, c.refused, c.storedMsgs, c.storedBytes, c.quotaBytes, c.over,
		c.serial, c.expiry, c.alarms, c.natsConns, c.inMsgs, c.outMsgs, c.inBytes, c.outBytes, c.slow, c.jsStreams, c.jsConsumers, c.jsMsgs, c.jsBytes} {
		ch <- d
	}
}

func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	now := c.now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	members, err := c.h.Members(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.conns, err)
	}
	for _, m := range members {
		gauge(c.conns, float64(m.Connections), m.Agency)
		gauge(c.waiting, float64(m.Waiting), m.Agency)
		age := 0.0
		if !m.Oldest.IsZero() {
			age = now.Sub(m.Oldest).Seconds()
		}
		gauge(c.oldest, age, m.Agency)
		counter(c.refused, float64(m.Refused), m.Agency)
		gauge(c.storedMsgs, float64(m.StoredMsgs), m.Agency)
		gauge(c.storedBytes, float64(m.StoredBytes), m.Agency)
		gauge(c.quotaBytes, float64(m.QuotaBytes), m.Agency)
		gauge(c.over, bool01(m.Over != ""), m.Agency)
	}
	if sr := c.h.Roster(); sr != nil {
		gauge(c.serial, float64(sr.Roster.Serial))
		gauge(c.expiry, sr.Roster.Expires.Sub(now).Seconds())
	}
	if alarms, err := c.h.Alarms(ctx, now); err == nil {
		gauge(c.alarms, float64(len(alarms)))
	} else {
		ch <- prometheus.NewInvalidMetric(c.alarms, err)
	}
	v, j, err := c.h.Engine()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.natsConns, err)
		return
	}
	gauge(c.natsConns, float64(v.Connections))
	counter(c.inMsgs, float64(v.InMsgs))
	counter(c.outMsgs, float64(v.OutMsgs))
	counter(c.inBytes, float64(v.InBytes))
	counter(c.outBytes, float64(v.OutBytes))
	counter(c.slow, float64(v.SlowConsumers))
	gauge(c.jsStreams, float64(j.Streams))
	gauge(c.jsConsumers, float64(j.Consumers))
	gauge(c.jsMsgs, float64(j.Messages))
	gauge(c.jsBytes, float64(j.Bytes))
}

// HubReady returns the readiness checks of hub h, for NewServer: its
// client listener is open, JetStream is enabled, a roster is in force,
// and on a clustered hub, every replica this server holds is current.
func HubReady(h *hub.Hub) func(ctx context.Context) ([]Check, error) {
	return func(ctx context.Context) ([]Check, error) {
		listening, js, serial := h.Ready()
		checks := []Check{
			{Name: "listener", OK: listening, Detail: "the hub takes connections"},
			{Name: "jetstream", OK: js, Detail: "JetStream is enabled"},
			{Name: "roster", OK: serial > 0, Detail: fmt.Sprintf("roster %d in force", serial)},
		}
		if !listening {
			checks[0].Detail = "the hub's client listener is not open yet"
		}
		if !js {
			checks[1].Detail = "JetStream is not enabled"
		}
		if serial == 0 {
			checks[2].Detail = "no roster in force"
		}
		if h.Clustered() {
			// A rolling restart stops the next server only once the one
			// restarted before it is current (docs/OPERATOR.md §5c).
			c := Check{Name: "cluster", OK: true, Detail: "every replica this server holds is current: another server may be restarted"}
			if err := h.Health(); err != nil {
				c.OK, c.Detail = false, err.Error()
			}
			checks = append(checks, c)
		}
		return checks, nil
	}
}
