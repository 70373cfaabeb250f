package links

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/bench"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// Config sizes the scenarios.
type Config struct {
	// Dir holds the networks' files.
	Dir string
	// Kind is the recipient kind.
	Kind protocol.RecipientKind
	// BodySize is each lead's body size in bytes.
	BodySize int
	// LatencyMS and JitterMS are the one-way delay of the sender's link;
	// RateKB its bandwidth towards the hub in KB/s.
	LatencyMS, JitterMS, RateKB int
	// Steady are the runs without a cut, one network each: a burst for
	// the link's throughput, a paced run for its latency.
	Steady []PaceSpec
	// Cuts are the cuts to run, one network each.
	Cuts []CutSpec
	// Flap is the link going down again and again while messages flow;
	// a zero Run skips it.
	Flap FlapSpec
	// StallFor is how long the link stalls; StallMessages how many
	// messages are sent meanwhile.
	StallFor      time.Duration
	StallMessages int
	// ResendTimeout is the nodes' acknowledgement timeout (node.json
	// resend_timeout); zero keeps the default.
	ResendTimeout time.Duration
	// FormatVersion is the sealed format the sender writes; zero means
	// the current one.
	FormatVersion int
	// Node adjusts the sender's node options (e.g. a shorter stall
	// threshold for a short run).
	Node func(o *agency.Options)
	// Timeout bounds each wait for the network to settle.
	Timeout time.Duration
}

// CutSpec is one cut: how long the link is cut, and how many messages
// are sent meanwhile.
type CutSpec struct {
	For      time.Duration
	Messages int
}

// FullConfig is the issues' measurement: 300 ± 50 ms each way (600 ms
// round trips), 32 KB/s (256 kbit/s) up; 300 messages at once and 300 at
// 4 a second (under half the link); a 3-minute cut with 120 messages
// queued, a 30-second one with 400 (a backlog that takes longer than the
// 30 s acknowledgement timeout to cross the link); the link down for 30 s
// every 2 minutes for 10 minutes while 2 messages a second are sent; a
// 150-second stall with 25.
func FullConfig(dir string) Config {
	return Config{Dir: dir, Kind: protocol.KindHybrid, BodySize: 1024, LatencyMS: 300, JitterMS: 50, RateKB: 32,
		Steady:   []PaceSpec{{300, 0}, {300, 4}},
		Cuts:     []CutSpec{{3 * time.Minute, 120}, {30 * time.Second, 400}},
		Flap:     FlapSpec{Run: 10 * time.Minute, Every: 2 * time.Minute, Down: 30 * time.Second, PerSecond: 2},
		StallFor: 150 * time.Second, StallMessages: 25, Timeout: 5 * time.Minute}
}

// ShortConfig is the version `make test` runs, in seconds: shorter
// outages and fewer messages, so a slower link (8 KB/s) and a shorter
// acknowledgement timeout (2 s) to make the backlog outlast it as the
// full one outlasts 30 s, and a stall declared after 3 s.
func ShortConfig(dir string) Config {
	return Config{Dir: dir, Kind: protocol.KindClassic, BodySize: 1024, LatencyMS: 100, JitterMS: 20, RateKB: 8,
		Steady:   []PaceSpec{{30, 0}, {20, 2}},
		Cuts:     []CutSpec{{3 * time.Second, 30}},
		Flap:     FlapSpec{Run: 24 * time.Second, Every: 8 * time.Second, Down: 3 * time.Second, PerSecond: 2},
		StallFor: 8 * time.Second, StallMessages: 5, ResendTimeout: 2 * time.Second,
		Node: func(o *agency.Options) { o.StallAfter = 3 * time.Second }, Timeout: time.Minute}
}

// Row is one scenario's outcome.
type Row struct {
	Scenario string
	// Kind is what ran: KindSteady, KindCut, KindFlap or KindStall.
	Kind string
	// Sent, Delivered: messages sent, and found in the recipient's inbox.
	Sent, Delivered int
	// Lost is what was sent and never delivered; Duplicated the
	// publications beyond one per message on the sender's link;
	// OutOfOrder the messages the recipient received after one sent later.
	Lost, Duplicated, OutOfOrder int
	// WireBytes are the bytes of the messages' publications on the
	// sender's link during the scenario, OwnBytes those of one
	// publication per message: Overhead is WireBytes/OwnBytes - 1.
	WireBytes, OwnBytes int64
	// Drain is the time from the link's return until the hub has
	// acknowledged every message; Reconnect until the node is online.
	Drain, Reconnect time.Duration
	// RosterFailures counts the roster reads that failed after the link
	// came back (a read stuck behind the backlog times out).
	RosterFailures int
	// StallSeen is when the node's status first said stalled or offline
	// after the stall began, and as what; zero if it never did.
	StallSeen      time.Duration
	StallSeenState string
	// RepublishedInStall counts publications of a message already
	// published during the stall.
	RepublishedInStall int
	// Rate is the messages delivered a second (steady runs); Latency
	// their creation → acceptance by the recipient, in milliseconds.
	Rate    float64
	Latency *bench.Percentiles
	// Drains are, for each cut of a flapping link, the time from its
	// return until the queue drained; Undrained how many were still
	// draining at the next cut.
	Drains    []time.Duration
	Undrained int
}

// Kinds of Row.
const (
	KindSteady = "steady"
	KindCut    = "cut"
	KindFlap   = "flap"
	KindStall  = "stall"
)

// Overhead is the share of bytes beyond one publication per message.
func (r Row) Overhead() float64 {
	if r.OwnBytes == 0 {
		return 0
	}
	return float64(r.WireBytes)/float64(r.OwnBytes) - 1
}

// liftLimits lifts the hub's per-member limits: the scenarios measure the
// link, and a backlog of hundreds of messages in seconds is what they
// send.
func liftLimits(h *config.Hub) {
	h.MemberLimits.MessagesPerSecond = 1_000_000
	h.MemberLimits.BytesPerSecond = 1 << 40
	h.MemberLimits.StoredMessages = 1 << 40
	h.MemberLimits.StoredBytes = 1 << 50
}

// network is a sender a0 behind a degraded link and a recipient a1.
type network struct {
	ln   *localnet.Net
	link *Link
	c    Config
	log  *logCounter // a0's log
}

// rosterFailed starts the log message of a roster read that failed.
const rosterFailed = "cannot read the roster"

func newNetwork(ctx context.Context, c Config, name string) (*network, error) {
	var link *Link
	var lerr error
	counter := newLogCounter(rosterFailed)
	lo := localnet.Options{
		Logger: func(name string) *slog.Logger {
			if name == "a0" {
				return slog.New(counter)
			}
			return slog.New(slog.DiscardHandler)
		}, Network: "links", Kind: c.Kind, ResendTimeout: c.ResendTimeout, Hub: liftLimits,
		Node: func(a string, o *agency.Options) {
			o.FormatVersion = c.FormatVersion
			if a == "a0" && c.Node != nil {
				c.Node(o)
			}
		},
		HubAddr: func(a, hub string) string {
			if a != "a0" {
				return hub
			}
			if link == nil {
				link, lerr = NewLink(hub)
			}
			if lerr != nil {
				return hub
			}
			return link.Addr()
		}}
	ln, err := localnet.Create(ctx, filepath.Join(c.Dir, name), lo,
		localnet.Agency{ID: "a0", Name: "Agency 0", Country: "SN"}, localnet.Agency{ID: "a1", Name: "Agency 1", Country: "GH"})
	if err != nil {
		return nil, err
	}
	if lerr != nil || link == nil {
		ln.Close()
		return nil, fmt.Errorf("link: %v", lerr)
	}
	w := &network{ln: ln, link: link, c: c, log: counter}
	for _, a := range []string{"a0", "a1"} {
		if _, err := ln.Start(ctx, a); err != nil {
			w.close()
			return nil, err
		}
	}
	for _, a := range []string{"a0", "a1"} {
		if err := ln.WaitReady(ctx, a, 3); err != nil {
			w.close()
			return nil, err
		}
	}
	if err := link.Shape(c.LatencyMS, c.JitterMS, c.RateKB); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *network) close() {
	w.ln.Close()
	w.link.Close()
}

// send sends n leads from a0 to a1 and returns their ids in sending order.
func (w *network) send(ctx context.Context, n int) ([]string, error) {
	body := protocol.SizedLead(w.c.BodySize)
	var ids []string
	for range n {
		r, err := w.ln.Node("a0").Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "links"}, agency.SendRequest{To: []string{"a1"}, Type: protocol.TypeLead, Body: body})
		if err != nil {
			return nil, err
		}
		ids = append(ids, r.ID)
	}
	return ids, nil
}

// poll calls f every 50 ms until it returns true, the timeout passes or
// ctx ends.
func (w *network) poll(ctx context.Context, what string, f func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, w.c.Timeout)
	defer cancel()
	for {
		ok, err := f()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// hubState returns a0's view of its link.
func (w *network) hubState(ctx context.Context) (string, error) {
	st, err := w.ln.Node("a0").Status(ctx)
	if err != nil {
		return "", err
	}
	return st.Hub.State, nil
}

// copies returns how many of a0's copies are in each state.
func (w *network) copies(ctx context.Context) (map[agency.CopyState]int64, error) {
	st, err := w.ln.Node("a0").Status(ctx)
	if err != nil {
		return nil, err
	}
	return st.Outbox.Copies, nil
}

// acknowledged reports whether the hub has acknowledged n copies.
func acknowledged(c map[agency.CopyState]int64, n int) bool {
	return c[agency.CopyRelayed]+c[agency.CopyDelivered]+c[agency.CopyRead] >= int64(n)
}

// tally fills the delivery columns of r: what a1 received of ids, in which
// order, and what crossed a0's link.
func (w *network) tally(ctx context.Context, r *Row, ids []string, before map[string]int) error {
	if err := w.poll(ctx, "every message delivered", func() (bool, error) {
		c, err := w.copies(ctx)
		return err == nil && c[agency.CopyDelivered]+c[agency.CopyRead] >= int64(len(ids)), err
	}); err != nil {
		return err
	}
	inbox, err := w.ln.Node("a1").Inbox(ctx, agency.InboxQuery{})
	if err != nil {
		return err
	}
	pos := map[string]int{}
	for i, id := range ids {
		pos[id] = i
	}
	last := -1
	seen := map[string]bool{}
	for _, m := range inbox {
		i, ok := pos[m.ID]
		if !ok || seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		if i < last {
			r.OutOfOrder++
		}
		last = max(last, i)
	}
	r.Sent, r.Delivered = len(ids), len(seen)
	r.Lost = r.Sent - r.Delivered
	pubs, sizes := w.link.Meter.Publications(), w.link.Meter.PublicationSizes()
	for _, id := range ids {
		key := protocol.PublishID(id, "a1")
		n := pubs[key] - before[key]
		r.Duplicated += max(n-1, 0)
		r.WireBytes += int64(n * sizes[key])
		r.OwnBytes += int64(sizes[key])
	}
	return nil
}

// Cut cuts the sender's link for cut.For, sends cut.Messages meanwhile,
// restores it and measures the drain.
func Cut(ctx context.Context, c Config, cut CutSpec) (Row, error) {
	r := Row{Scenario: fmt.Sprintf("cut %s, %d queued", cut.For, cut.Messages), Kind: KindCut}
	w, err := newNetwork(ctx, c, fmt.Sprintf("cut-%d", cut.Messages))
	if err != nil {
		return r, err
	}
	defer w.close()
	w.link.Cut()
	if err := w.poll(ctx, "the sender offline", func() (bool, error) {
		s, err := w.hubState(ctx)
		return s == "offline", err
	}); err != nil {
		return r, err
	}
	cutAt := time.Now()
	before := w.link.Meter.Publications()
	ids, err := w.send(ctx, cut.Messages)
	if err != nil {
		return r, err
	}
	select {
	case <-ctx.Done():
		return r, ctx.Err()
	case <-time.After(time.Until(cutAt.Add(cut.For))):
	}
	rosterBefore := w.log.count(rosterFailed)
	if err := w.link.Restore(); err != nil {
		return r, err
	}
	back := time.Now()
	if err := w.poll(ctx, "the sender online", func() (bool, error) {
		s, err := w.hubState(ctx)
		return s == "online", err
	}); err != nil {
		return r, err
	}
	r.Reconnect = time.Since(back)
	if err := w.poll(ctx, "the backlog acknowledged", func() (bool, error) {
		cs, err := w.copies(ctx)
		return err == nil && acknowledged(cs, len(ids)), err
	}); err != nil {
		return r, err
	}
	r.Drain = time.Since(back)
	err = w.tally(ctx, &r, ids, before)
	r.RosterFailures = w.log.count(rosterFailed) - rosterBefore
	return r, err
}

// Stall stalls the sender's link for StallFor, sends StallMessages at its
// start, watches the sender's status and what it publishes, then ends the
// stall and measures the drain.
func Stall(ctx context.Context, c Config) (Row, error) {
	r := Row{Scenario: fmt.Sprintf("stall %s, %d sent", c.StallFor, c.StallMessages), Kind: KindStall}
	w, err := newNetwork(ctx, c, "stall")
	if err != nil {
		return r, err
	}
	defer w.close()
	before := w.link.Meter.Publications()
	if err := w.link.Stall(); err != nil {
		return r, err
	}
	stalledAt := time.Now()
	ids, err := w.send(ctx, c.StallMessages)
	if err != nil {
		return r, err
	}
	for time.Since(stalledAt) < c.StallFor {
		s, err := w.hubState(ctx)
		if err != nil {
			return r, err
		}
		if s != "online" && r.StallSeen == 0 {
			r.StallSeen, r.StallSeenState = time.Since(stalledAt), s
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	during := w.link.Meter.Publications()
	for _, id := range ids {
		key := protocol.PublishID(id, "a1")
		r.RepublishedInStall += max(during[key]-before[key]-1, 0)
	}
	if err := w.link.Unstall(); err != nil {
		return r, err
	}
	back := time.Now()
	if err := w.poll(ctx, "the backlog acknowledged", func() (bool, error) {
		cs, err := w.copies(ctx)
		return err == nil && acknowledged(cs, len(ids)), err
	}); err != nil {
		return r, err
	}
	r.Drain = time.Since(back)
	return r, w.tally(ctx, &r, ids, before)
}

// Run runs the steady runs, every cut, the flapping link and the stall,
// and returns their rows in that order.
func Run(ctx context.Context, c Config) ([]Row, error) {
	var rows []Row
	for _, p := range c.Steady {
		r, err := Steady(ctx, c, p)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", r.Scenario, err)
		}
		rows = append(rows, r)
	}
	for _, cut := range c.Cuts {
		r, err := Cut(ctx, c, cut)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", r.Scenario, err)
		}
		rows = append(rows, r)
	}
	if c.Flap.Run > 0 {
		r, err := Flap(ctx, c, c.Flap)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", r.Scenario, err)
		}
		rows = append(rows, r)
	}
	r, err := Stall(ctx, c)
	if err != nil {
		return rows, fmt.Errorf("%s: %w", r.Scenario, err)
	}
	return append(rows, r), nil
}
