package localnet

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// clusterMessages is how many messages a cluster test streams: a short run
// in 'make test', the full 1,000 with CASENODE_CLUSTER=full ('make
// cluster').
func clusterMessages() int {
	if os.Getenv("CASENODE_CLUSTER") == "full" {
		return 1000
	}
	return 200
}

// liftLimits lifts the member limits: the tests stream hundreds of
// messages in seconds.
func liftLimits(h *config.Hub) {
	h.MemberLimits.MessagesPerSecond = 1_000_000
	h.MemberLimits.BytesPerSecond = 1 << 40
	h.MemberLimits.StoredMessages = 1 << 40
	h.MemberLimits.StoredBytes = 1 << 50
}

// clusterLogger shows the servers' logs with CASENODE_CLUSTER_LOG set.
func clusterLogger(name string) *slog.Logger {
	if os.Getenv("CASENODE_CLUSTER_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("server", name)
}

// newCluster is a network of a0 and a1 on a three-server hub, both nodes
// running and online.
func newCluster(t *testing.T, ctx context.Context) *Net {
	t.Helper()
	n, err := Create(ctx, t.TempDir(), Options{Network: "wacap", Kind: protocol.KindClassic, Servers: 3, Hub: liftLimits, Logger: clusterLogger},
		Agency{"a0", "Sender", "SN"}, Agency{"a1", "Recipient", "GH"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	for _, a := range []string{"a0", "a1"} {
		if _, err := n.Start(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := n.WaitReady(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// streamCase is the case of the stream's messages.
const streamCase = "sn-2026-0001"

// stream sends leads from a0 to a1, in one case, in the background; sent counts
// the ones sent, and ids is closed over their ids, in sending order, at
// the end.
type stream struct {
	sent atomic.Int64
	ids  []string
	err  error
	done chan struct{}
	// halt, closed, ends an open stream once it has sent its count.
	halt chan struct{}
}

// startStream sends count messages.
func startStream(ctx context.Context, n *Net, count int) *stream {
	s := &stream{done: make(chan struct{}), halt: make(chan struct{})}
	close(s.halt)
	go s.run(ctx, n, count, 0)
	return s
}

// startOpenStream sends a message every interval until stop is called
// and at least count are sent: a stream that lasts as long as what the
// test does during it.
func startOpenStream(ctx context.Context, n *Net, count int, interval time.Duration) *stream {
	s := &stream{done: make(chan struct{}), halt: make(chan struct{})}
	go s.run(ctx, n, count, interval)
	return s
}

// stop ends an open stream once it has sent its count, and waits for it.
func (s *stream) stop() {
	close(s.halt)
	<-s.done
}

func (s *stream) run(ctx context.Context, n *Net, count int, interval time.Duration) {
	defer close(s.done)
	body := protocol.SizedLead(512)
	for i := 0; ; i++ {
		if i >= count {
			select {
			case <-s.halt:
				return
			default:
			}
		}
		if interval > 0 {
			select {
			case <-time.After(interval):
			case <-ctx.Done():
				s.err = ctx.Err()
				return
			}
		}
		r, err := n.Node("a0").Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "cluster test"}, agency.SendRequest{To: []string{"a1"}, Type: protocol.TypeLead, Case: streamCase, Body: body})
		if err != nil {
			s.err = err
			return
		}
		s.ids = append(s.ids, r.ID)
		s.sent.Add(1)
	}
}

// waitSent waits until the stream has sent at least k messages.
func (s *stream) waitSent(t *testing.T, k int) {
	t.Helper()
	poll.Until(t, time.Minute, fmt.Sprintf("%d messages sent", k), func() bool { return s.sent.Load() >= int64(k) })
}

// acknowledged is how many of a0's copies the hub has acknowledged.
func acknowledged(t *testing.T, ctx context.Context, n *Net) int64 {
	st, err := n.Node("a0").Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := st.Outbox.Copies
	return c[agency.CopyRelayed] + c[agency.CopyDelivered] + c[agency.CopyRead]
}

// checkDelivered waits for the end of the stream and for every message to
// be delivered, then checks that a1 received each exactly once, in sending
// order, that the messages stream holds them in sending order, and that
// every server's copy of the messages stream holds each exactly once (with
// a1's receipt of each).
func checkDelivered(t *testing.T, ctx context.Context, n *Net, s *stream, count int) {
	t.Helper()
	select {
	case <-s.done:
	case <-ctx.Done():
		t.Fatal("the stream did not end")
	}
	if s.err != nil {
		t.Fatalf("send: %v", s.err)
	}
	poll.Until(dumpOnFail{t, ctx, n}, 2*time.Minute, "every message delivered", func() bool {
		st, err := n.Node("a0").Status(ctx)
		return err == nil && st.Outbox.Copies[agency.CopyDelivered]+st.Outbox.Copies[agency.CopyRead] == int64(count)
	})
	inbox, err := n.Node("a1").Inbox(ctx, agency.InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, id := range s.ids {
		pos[id] = i
	}
	seen, last, outOfOrder, unknown := map[string]bool{}, -1, 0, 0
	for _, m := range inbox {
		i, ok := pos[m.ID]
		if !ok {
			unknown++
			continue
		}
		if seen[m.ID] {
			t.Errorf("message %s received twice", m.ID)
		}
		seen[m.ID] = true
		if i < last {
			outOfOrder++
			if outOfOrder <= 3 {
				t.Logf("out of order: message %d of %d received %s after it was created, after message %d", i, count, m.Received.Sub(m.Created).Round(time.Millisecond), last)
			}
		}
		last = max(last, i)
	}
	if len(seen) != count || unknown != 0 {
		t.Fatalf("a1 received %d of %d messages (%d unknown)", len(seen), count, unknown)
	}
	streamOutOfOrder := streamOrder(t, ctx, n, pos)
	// The case thread is in the sender's order whatever the arrival
	// order (docs/OPERATOR.md §5c).
	th, err := n.Node("a1").Case(ctx, streamCase)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range th.Items {
		if i >= len(s.ids) || it.ID != s.ids[i] {
			t.Fatalf("a1's thread of case %s: message %d is %s, want %d of %d in sending order", streamCase, i, it.ID, i, len(s.ids))
		}
	}
	if len(th.Items) != count {
		t.Fatalf("a1's thread of case %s holds %d messages, want %d", streamCase, len(th.Items), count)
	}
	for i := range n.Servers() {
		h := n.hub(i)
		var got uint64
		var err error
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got, err = h.StoredMessages(); err == nil && got == uint64(2*count) {
				break
			}
		}
		if err != nil || got != uint64(2*count) {
			t.Fatalf("server %s holds %d messages (%v)", serverName(i), got, err)
		}
	}
	t.Logf("%d messages: %d received once each, %d after one sent later (the case thread in sending order); each server's stream holds %d, %d after one sent later", count, len(seen), outOfOrder, count, streamOutOfOrder)
	// The hub stores each sender's messages to one recipient in sending
	// order, and the recipient's inbox lists them in the stream's order
	// (docs/OPERATOR.md §5c).
	if outOfOrder != 0 || streamOutOfOrder != 0 {
		t.Fatalf("%d messages received after one sent later, %d stored after one sent later; want none", outOfOrder, streamOutOfOrder)
	}
}

// streamOrder reads a1's messages from the messages stream, in the
// stream's order, and returns how many of them come after one sent later;
// pos is each message's place in the sending order.
func streamOrder(t *testing.T, ctx context.Context, n *Net, pos map[string]int) int {
	t.Helper()
	var h *hub.Hub
	for i := range n.Servers() {
		if h = n.hub(i); h != nil {
			break
		}
	}
	var ids []string
	var err error
	poll.Until(lastSaid{t, &err}, time.Minute, "a1's messages read from the stream", func() bool {
		ids, err = h.StoredOrder(ctx, "a1")
		return err == nil
	})
	if len(ids) != len(pos) {
		t.Fatalf("the stream holds %d messages for a1, want %d", len(ids), len(pos))
	}
	last, outOfOrder := -1, 0
	for k, hid := range ids {
		_, id, _ := strings.Cut(hid, "/")
		id, _, _ = strings.Cut(id, ":")
		i, ok := pos[id]
		if !ok {
			t.Fatalf("the stream holds a message %q for a1 that a0 did not send", hid)
		}
		if i < last {
			outOfOrder++
			if outOfOrder <= 3 {
				t.Logf("stream out of order: message %d stored (the %dth for a1) after message %d", i, k, last)
			}
		}
		last = max(last, i)
	}
	return outOfOrder
}

// busiest is the index of the running server with the most node
// connections.
func busiest(n *Net) int {
	best, most := 0, -1
	for i := range n.Servers() {
		if h := n.hub(i); h != nil && h.Clients() > most {
			best, most = i, h.Clients()
		}
	}
	return best
}

// waitOnline waits until both nodes are online again and returns how long
// that took.
func waitOnline(t *testing.T, ctx context.Context, n *Net, since time.Time) time.Duration {
	t.Helper()
	var states []string
	poll.Until(t, time.Minute, "both nodes online", func() bool {
		states = states[:0]
		for _, a := range []string{"a0", "a1"} {
			st, err := n.Node(a).Status(ctx)
			if err != nil {
				return false
			}
			states = append(states, st.Hub.State)
		}
		return states[0] == "online" && states[1] == "online"
	})
	return time.Since(since)
}

// waitHealthy waits until server i is current.
func waitHealthy(t *testing.T, n *Net, i int) {
	t.Helper()
	var last error
	poll.Until(t, time.Minute, "server "+serverName(i)+" current", func() bool {
		last = n.hub(i).Health()
		return last == nil
	})
}

// waitSafe waits until every stream and consumer of the hub has all its
// replicas current, as 'casenode hub status' reports it through a running
// server: only then may another server stop.
func waitSafe(t *testing.T, ctx context.Context, n *Net) {
	t.Helper()
	var last []hub.ReplicaState
	var lastErr error
	poll.Until(lastSaid{t, &lastErr}, 2*time.Minute, "every replica current", func() bool {
		for i := range n.Servers() {
			h := n.hub(i)
			if h == nil {
				continue
			}
			nc, _, err := hub.ConnectAdminDir(n.HubDir(), h.ClientURL())
			if err != nil {
				lastErr = err
				return false
			}
			defer nc.Close()
			last, lastErr = hub.ClusterStatus(ctx, nc)
			if lastErr != nil {
				return false
			}
			for _, s := range last {
				if !s.Safe() {
					lastErr = fmt.Errorf("%s", s.String())
					return false
				}
			}
			return true
		}
		return false
	})
}

// dumpOnFail logs the nodes' and the hub's state before it fails t.
type dumpOnFail struct {
	t   *testing.T
	ctx context.Context
	n   *Net
}

func (d dumpOnFail) Fatalf(format string, args ...any) {
	d.t.Helper()
	for _, a := range []string{"a0", "a1"} {
		st, err := d.n.Node(a).Status(d.ctx)
		if err != nil {
			d.t.Logf("%s: status: %v", a, err)
			continue
		}
		d.t.Logf("%s: hub %s, outbox copies %v, inbox %+v", a, st.Hub.State, st.Outbox.Copies, st.Inbox)
	}
	for i := range d.n.Servers() {
		h := d.n.hub(i)
		if h == nil {
			continue
		}
		d.t.Logf("%s: %d clients, health %v", serverName(i), h.Clients(), h.Health())
		nc, _, err := hub.ConnectAdminDir(d.n.HubDir(), h.ClientURL())
		if err != nil {
			continue
		}
		if states, err := hub.ClusterStatus(d.ctx, nc); err == nil {
			for _, s := range states {
				d.t.Logf("  %s", s.String())
			}
		}
		if js, err := jetstream.New(nc); err == nil {
			for _, a := range []string{"a0", "a1"} {
				if c, err := js.Consumer(d.ctx, protocol.StreamName(d.n.Network), protocol.ConsumerName(a)); err == nil {
					ci := c.CachedInfo()
					d.t.Logf("  inbox of %s: pending %d, ack pending %d, delivered %d, ack floor %d, waiting pulls %d", a, ci.NumPending, ci.NumAckPending, ci.Delivered.Stream, ci.AckFloor.Stream, ci.NumWaiting)
				} else {
					d.t.Logf("  inbox of %s: %v", a, err)
				}
			}
		}
		nc.Close()
	}
	d.t.Fatalf(format, args...)
}

// lastSaid fails t with the last error a wait saw.
type lastSaid struct {
	t    *testing.T
	last *error
}

func (l lastSaid) Fatalf(format string, args ...any) {
	l.t.Helper()
	l.t.Fatalf(format+" (last: %v)", append(args, *l.last)...)
}

// TestClusterServerLoss streams messages from a0 to a1 while the server
// the nodes use is stopped mid-stream, then brought back with its store,
// and then another server is brought back with an EMPTY store: every
// message arrives once, in order, and every server ends with all of them.
func TestClusterServerLoss(t *testing.T) {
	if os.Getenv("CASENODE_CLUSTER") == "" {
		// Passes alone (200 messages, about 80 s), but under -race on a
		// loaded machine delivery stalled once past 2 minutes (issue #18):
		// it runs with 'make cluster' until that is understood.
		t.Skip("runs with 'make cluster' (CASENODE_CLUSTER=full), or CASENODE_CLUSTER=short for 200 messages")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n := newCluster(t, ctx)
	count := clusterMessages()
	s := startStream(ctx, n, count)

	s.waitSent(t, count/4)
	victim := busiest(n)
	stopped := time.Now()
	if err := n.StopServer(victim); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped %s, the busiest server, after %d messages sent; nodes online again after %s", serverName(victim), s.sent.Load(), waitOnline(t, ctx, n, stopped).Round(time.Millisecond))
	s.waitSent(t, count/2)
	if err := n.StartServer(ctx, victim); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, n, victim)
	waitSafe(t, ctx, n)

	// Another server loses its disk: it comes back empty and catches up.
	wiped := (victim + 1) % n.Servers()
	s.waitSent(t, 3*count/4)
	if err := n.StopServer(wiped); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(n.ServerDir(wiped), "jetstream")); err != nil {
		t.Fatal(err)
	}
	if err := n.StartServer(ctx, wiped); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, n, wiped)
	checkDelivered(t, ctx, n, s, count)
}

// TestClusterRollingRestart restarts the three servers one at a time
// during a stream, each once every replica is current again ('casenode hub
// status'): nothing is lost or duplicated, and the case thread is in
// sending order.
func TestClusterRollingRestart(t *testing.T) {
	if os.Getenv("CASENODE_CLUSTER") != "full" {
		// It passes with 'make cluster'; three servers restarted in
		// turn, each once every replica is current again, make it too long
		// for 'make test'.
		t.Skip("runs with 'make cluster' (CASENODE_CLUSTER=full)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n := newCluster(t, ctx)
	count := clusterMessages()
	// The stream lasts as long as the restarts: a message every 20 ms, and
	// at least count.
	s := startOpenStream(ctx, n, count, 20*time.Millisecond)
	for i := range n.Servers() {
		s.waitSent(t, int(s.sent.Load())+20)
		if err := n.StopServer(i); err != nil {
			t.Fatal(err)
		}
		before := acknowledged(t, ctx, n)
		poll.Until(dumpOnFail{t, ctx, n}, time.Minute, "messages acknowledged with "+serverName(i)+" down", func() bool { return acknowledged(t, ctx, n) > before })
		if err := n.StartServer(ctx, i); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, n, i)
		waitSafe(t, ctx, n)
		t.Logf("restarted %s after %d messages sent; every replica current", serverName(i), s.sent.Load())
	}
	s.stop()
	checkDelivered(t, ctx, n, s, int(s.sent.Load()))
}

// TestClusterRosterWithServerDown admits and then revokes a member while
// one server is down: the roster reaches both nodes, the new member's node
// connects, and the server that was down takes the newest roster when it
// comes back.
func TestClusterRosterWithServerDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := newCluster(t, ctx)
	if err := n.StopServer(1); err != nil {
		t.Fatal(err)
	}
	if err := n.Admit(ctx, Agency{"a2", "Newcomer", "ML"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"a0", "a1"} {
		if err := n.WaitReady(ctx, a, 4); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.Start(ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitReady(ctx, "a2", 4); err != nil {
		t.Fatal(err)
	}
	sec, err := hub.OpenSecretariat(n.HubDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := sec.Revoke("a2", time.Now())
	sec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.hub(0).Reload(ctx); err != nil {
		t.Fatal(err)
	}
	serial := revoked.Roster.Serial
	for _, a := range []string{"a0", "a1"} {
		poll.Until(t, time.Minute, a+" holding roster serial "+fmt.Sprint(serial), func() bool {
			st, err := n.Node(a).Status(ctx)
			return err == nil && st.Roster != nil && st.Roster.Serial == serial
		})
	}
	if err := n.StartServer(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := n.hub(1).Roster().Roster.Serial; got != serial {
		t.Fatalf("server hub-b came back with roster serial %d, want %d", got, serial)
	}
	if m := n.hub(1).Roster().Roster.Member("a2"); m == nil || m.Status == protocol.StatusActive {
		t.Fatalf("server hub-b has a2 as %+v, want revoked", m)
	}
}

// TestClusterNoQuorum starts one server of three alone: it has no meta
// leader, and says that it needs a quorum rather than hanging.
func TestClusterNoQuorum(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := Create(ctx, t.TempDir(), Options{Network: "wacap", Kind: protocol.KindClassic, Servers: 3, Hub: liftLimits, NoStart: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	short, cancelShort := context.WithTimeout(ctx, 8*time.Second)
	defer cancelShort()
	err = n.StartServer(short, 2)
	if err == nil || !strings.Contains(err.Error(), "needs a quorum, 2 of its 3 servers") {
		t.Fatalf("one server alone: %v, want an error saying it needs a quorum", err)
	}
}

// TestClusterWitnessReset: on a clustered hub, a reset order is applied by
// the one server whose directory holds it (here the second, hub-b), and
// holds for every server at once: the witness's state, alarms and resets
// are in replicated buckets that each server reads at each request, so no
// other server applies anything. Every server then reads no state for the
// agency and the one reset, and the agency's next checkpoint is cosigned
// as a new history whichever server answers.
func TestClusterWitnessReset(t *testing.T) {
	if os.Getenv("CASENODE_CLUSTER") == "" {
		t.Skip("runs with 'make cluster' (CASENODE_CLUSTER=full), or CASENODE_CLUSTER=short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n := newCluster(t, ctx)
	for i := range n.Servers() {
		poll.Until(t, time.Minute, serverName(i)+" reading a0's cosigned checkpoint", func() bool {
			cp, err := n.hub(i).WitnessCheckpoint(ctx, "a0")
			return err == nil && cp != nil
		})
	}
	sec, err := hub.OpenSecretariat(n.HubDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, signed, err := sec.OrderWitnessReset("a0", "cluster drill", "cli:test", time.Now())
	sec.Close()
	if err != nil {
		t.Fatal(err)
	}
	order, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(signed); err != nil {
		t.Fatal(err)
	}
	// Moved before the first server's next look: hub-b holds it alone.
	dir := filepath.Join(n.ServerDir(1), hub.WitnessResetDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.Base(signed))
	if err := os.WriteFile(path, order, 0o600); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, time.Minute, "hub-b applying the order", func() bool {
		_, err := os.Stat(path)
		return os.IsNotExist(err)
	})
	for i := range n.Servers() {
		rs, err := n.hub(i).WitnessResets(ctx, "a0")
		if err != nil || len(rs) != 1 || rs[0].ID != id {
			t.Fatalf("%s reads the resets %+v (%v), want order %s", serverName(i), rs, err, id)
		}
		if cp, err := n.hub(i).WitnessCheckpoint(ctx, "a0"); err != nil || cp != nil {
			t.Fatalf("%s reads a0's state %q (%v) after the reset, want none", serverName(i), cp, err)
		}
	}
	// The node's next checkpoint (a message makes one; the node asks at
	// most once a minute) is cosigned as a new history, which every
	// server reads.
	if _, err := n.Node("a0").Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "cluster test"}, agency.SendRequest{To: []string{"a1"}, Type: protocol.TypeLead, Body: protocol.SizedLead(64)}); err != nil {
		t.Fatal(err)
	}
	for i := range n.Servers() {
		poll.Until(t, 2*time.Minute, serverName(i)+" reading a0's new history", func() bool {
			cp, err := n.hub(i).WitnessCheckpoint(ctx, "a0")
			return err == nil && cp != nil
		})
	}
}
