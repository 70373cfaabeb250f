package metrics

import (
	"context"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/prometheus/client_golang/prometheus"
)

// nodeCollector reads a node's figures at each scrape.
type nodeCollector struct {
	n   *agency.Node
	now func() time.Time

	sent, received, rejected, receipts, connects            *prometheus.Desc
	up, ready, copies, inbox, unread, oldest, receiptsQueue *prometheus.Desc
	auditRecords, auditBytes, auditUnsigned, auditFailed    *prometheus.Desc
	rosterSerial, rosterExpiry, rosterActive, writeBlocked  *prometheus.Desc
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("casenode_node_"+name, help, labels, nil)
}

// NodeCommitSeconds is the histogram of a node's commits, by kind (send,
// receive), which agency.Options.ObserveCommit feeds.
func NodeCommitSeconds() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "casenode_node_commit_duration_seconds",
		Help:    "How long a batch took from the store's transaction to its audit records being durable, by kind (send, receive).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"kind"})
}

// RegisterNode registers the collector of node n (NodeCollector) and
// commits, the histogram its Options.ObserveCommit feeds
// (NodeCommitSeconds), with r.
func RegisterNode(r prometheus.Registerer, n *agency.Node, commits *prometheus.HistogramVec, now func() time.Time) error {
	if err := r.Register(commits); err != nil {
		return err
	}
	return r.Register(NodeCollector(n, now))
}

// NodeCollector returns the collector of node n's figures, read at each
// scrape by the clock now.
func NodeCollector(n *agency.Node, now func() time.Time) prometheus.Collector {
	return &nodeCollector{n: n, now: now,
		sent:          desc("messages_sent_total", "Messages sent (durable in the outbox) since the node started, by type.", "type"),
		received:      desc("messages_received_total", "Messages accepted into the inbox since the node started, by type.", "type"),
		rejected:      desc("inputs_rejected_total", "Inputs refused since the node started, by reason code.", "reason"),
		receipts:      desc("receipts_received_total", "Receipts taken for the outbox's copies since the node started, by kind.", "kind"),
		connects:      desc("hub_connects_total", "Connections made to the hub since the node started, the first one included."),
		up:            desc("hub_connected", "1 while the node is connected to the hub and the hub answers, else 0."),
		ready:         desc("ready", "1 while every readiness check holds (as /readyz), else 0."),
		copies:        desc("copies", "Copies of sent messages in the outbox, by state.", "state"),
		inbox:         desc("inbox_messages", "Messages in the inbox."),
		unread:        desc("inbox_unread_messages", "Messages in the inbox nobody has opened."),
		oldest:        desc("oldest_waiting_message_age_seconds", "Age of the oldest sent message with a copy still waiting for its recipient's receipt; 0 when none waits."),
		receiptsQueue: desc("receipts_queued", "Receipts this node signed that wait to be published."),
		auditRecords:  desc("audit_records", "Records in the audit log."),
		auditBytes:    desc("audit_file_bytes", "Size of the audit log file."),
		auditUnsigned: desc("audit_unsigned_records", "Records in the audit log that no signed checkpoint covers: every commit signs one, so anything but 0 means someone wrote to the file without the agency's key (the node then takes no input: the audit-uncovered alarm)."),
		auditFailed:   desc("audit_failed", "1 while the audit log takes no records, else 0."),
		writeBlocked:  desc("disk_full", "1 while the node cannot write its files for want of space (it takes no input), else 0."),
		rosterSerial:  desc("roster_serial", "Serial of the roster in force."),
		rosterExpiry:  desc("roster_expiry_seconds", "Seconds until the roster in force expires (negative once expired)."),
		rosterActive:  desc("agency_active", "1 while the roster lists this agency as active, else 0."),
	}
}

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sent, c.received, c.rejected, c.receipts, c.connects, c.up, c.ready, c.copies, c.inbox, c.unread,
		c.oldest, c.receiptsQueue, c.auditRecords, c.auditBytes, c.auditUnsigned, c.auditFailed, c.writeBlocked, c.rosterSerial, c.rosterExpiry, c.rosterActive} {
		ch <- d
	}
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	counts := c.n.Counters()
	for _, m := range []struct {
		d *prometheus.Desc
		v map[string]uint64
	}{{c.sent, counts.Sent}, {c.received, counts.Received}, {c.rejected, counts.Rejected}, {c.receipts, counts.Receipts}} {
		for k, v := range m.v {
			ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(v), k)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.connects, prometheus.CounterValue, float64(counts.Connects))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.n.Status(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.ready, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.up, bool01(s.Running && s.Hub.State == "online"))
	gauge(c.ready, bool01(s.Ready()))
	for _, st := range []agency.CopyState{agency.CopyQueued, agency.CopyRelayed, agency.CopyDelivered, agency.CopyRead, agency.CopyRejected, agency.CopyCancelled} {
		gauge(c.copies, float64(s.Outbox.Copies[st]), string(st))
	}
	gauge(c.inbox, float64(s.Inbox.Messages))
	gauge(c.unread, float64(s.Inbox.Unread))
	gauge(c.receiptsQueue, float64(s.ReceiptsQueued))
	if t, err := c.n.OldestWaiting(); err == nil {
		age := 0.0
		if !t.IsZero() {
			age = c.now().Sub(t).Seconds()
		}
		gauge(c.oldest, age)
	}
	gauge(c.auditRecords, float64(s.Audit.Records))
	gauge(c.auditBytes, float64(s.Audit.Bytes))
	unsigned := s.Audit.Records
	if s.Audit.Checkpoint != nil {
		unsigned -= s.Audit.Checkpoint.Size
	}
	gauge(c.auditUnsigned, float64(unsigned))
	gauge(c.auditFailed, bool01(s.Audit.Failed != ""))
	gauge(c.writeBlocked, bool01(s.WriteAlarm != nil))
	if r := s.Roster; r != nil {
		gauge(c.rosterSerial, float64(r.Serial))
		gauge(c.rosterExpiry, r.Expires.Sub(c.now()).Seconds())
		gauge(c.rosterActive, bool01(r.Standing == "active"))
	}
}

// NodeReady returns the readiness checks of node n, for NewServer.
func NodeReady(n *agency.Node) func(ctx context.Context) ([]Check, error) {
	return func(ctx context.Context) ([]Check, error) {
		s, err := n.Status(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]Check, len(s.Checks))
		for i, c := range s.Checks {
			out[i] = Check{Name: c.Name, OK: c.OK, Detail: c.Detail}
		}
		return out, nil
	}
}
