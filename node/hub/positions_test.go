package hub

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// publishTo publishes count messages from one agency to another through
// the ingest, with data m0, m1, ….
func publishTo(t *testing.T, ctx context.Context, c *agencyConn, from, to string, count int) {
	t.Helper()
	subject := protocol.IngestSubject(testNetwork, from, to, protocol.TypeReceipt)
	for i := range count {
		id := protocol.NewMessageID(time.Now())
		if _, err := c.js.Publish(ctx, subject, fmt.Appendf(nil, "m%d", i), jetstream.WithMsgID(protocol.PublishID(id, to))); err != nil {
			t.Fatal(err)
		}
	}
}

// ackNext fetches count messages from agency's inbox, checks their data
// are m<first>…, and acknowledges each.
func ackNext(t *testing.T, ctx context.Context, c *agencyConn, agency string, first, count int) {
	t.Helper()
	cons, err := c.js.Consumer(ctx, protocol.StreamName(testNetwork), protocol.ConsumerName(agency))
	if err != nil {
		t.Fatal(err)
	}
	for i := first; i < first+count; i++ {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("message m%d: %v", i, err)
		}
		if got := string(m.Data()); got != fmt.Sprintf("m%d", i) {
			t.Fatalf("got %s, want m%d", got, i)
		}
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// inboxConfig returns agency's inbox consumer's configuration.
func inboxConfig(t *testing.T, ctx context.Context, js jetstream.JetStream, agency string) jetstream.ConsumerConfig {
	t.Helper()
	c, err := js.Consumer(ctx, protocol.StreamName(testNetwork), protocol.ConsumerName(agency))
	if err != nil {
		t.Fatal(err)
	}
	return c.CachedInfo().Config
}

// savedFloor returns agency's position in the bucket.
func savedFloor(t *testing.T, ctx context.Context, js jetstream.JetStream, agency string) uint64 {
	t.Helper()
	kv, err := js.KeyValue(ctx, positionsBucket(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	floor, err := savedPosition(ctx, kv, agency)
	if err != nil {
		t.Fatal(err)
	}
	return floor
}

// TestInboxPositionsSurviveRestart checks that a hub running alone keeps
// its inbox consumers in memory, saves their acknowledgement floors, and
// after a restart delivers from the first message not acknowledged.
func TestInboxPositionsSurviveRestart(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	if cc := inboxConfig(t, ctx, n.hub.js, "sn-pj-dakar"); !cc.MemoryStorage || cc.DeliverPolicy != jetstream.DeliverAllPolicy {
		t.Fatalf("a new inbox consumer: memory storage %v, deliver policy %v; want memory, all", cc.MemoryStorage, cc.DeliverPolicy)
	}
	// What the server stores is what the hub asks for: a roster change
	// leaves the consumer alone (ensureConsumer).
	want := consumerConfig(testNetwork, "sn-pj-dakar")
	want.MemoryStorage = true
	if cc := inboxConfig(t, ctx, n.hub.js, "sn-pj-dakar"); !sameConsumer(cc, want) {
		t.Fatalf("inbox consumer %+v differs from the hub's %+v", cc, want)
	}
	gh, sn := n.connect(t, "gh-ag"), n.connect(t, "sn-pj-dakar")
	publishTo(t, ctx, gh, "gh-ag", "sn-pj-dakar", 5)
	ackNext(t, ctx, sn, "sn-pj-dakar", 0, 3)
	sn.nc.Close()
	// The saver runs every second: the floor is saved without a close.
	js := n.hub.js
	poll.Until(t, 30*time.Second, "the floor 3 saved", func() bool { return savedFloor(t, ctx, js, "sn-pj-dakar") == 3 })

	n.hub.Close()
	n.start(t)
	cc := inboxConfig(t, ctx, n.hub.js, "sn-pj-dakar")
	if !cc.MemoryStorage || cc.DeliverPolicy != jetstream.DeliverByStartSequencePolicy || cc.OptStartSeq != 4 {
		t.Fatalf("inbox consumer after restart: memory %v, policy %v, start %d; want memory, by start sequence, 4", cc.MemoryStorage, cc.DeliverPolicy, cc.OptStartSeq)
	}
	sn = n.connect(t, "sn-pj-dakar")
	ackNext(t, ctx, sn, "sn-pj-dakar", 3, 2)
	sn.nc.Close()
	n.hub.Close() // saves at close
	n.start(t)
	if floor := savedFloor(t, ctx, n.hub.js, "sn-pj-dakar"); floor != 5 {
		t.Fatalf("floor saved at close %d, want 5", floor)
	}
	// A roster change keeps the consumer where it started.
	n.add(t, "ne-mj")
	if err := n.hub.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if cc := inboxConfig(t, ctx, n.hub.js, "sn-pj-dakar"); !cc.MemoryStorage || cc.OptStartSeq != 6 {
		t.Fatalf("after a roster change: memory %v, start %d; want memory, 6", cc.MemoryStorage, cc.OptStartSeq)
	}
	if cc := inboxConfig(t, ctx, n.hub.js, "ne-mj"); !cc.MemoryStorage || cc.DeliverPolicy != jetstream.DeliverAllPolicy {
		t.Fatalf("a new member's inbox: memory %v, policy %v", cc.MemoryStorage, cc.DeliverPolicy)
	}
}

// TestInboxPositionsReplaceFileConsumer checks that the file-backed inbox
// consumer an older hub made is replaced by one in memory that starts
// after its acknowledgement floor, which is saved first.
func TestInboxPositionsReplaceFileConsumer(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	js, stream := n.hub.js, protocol.StreamName(testNetwork)
	name := protocol.ConsumerName("sn-pj-dakar")
	if err := js.DeleteConsumer(ctx, stream, name); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateConsumer(ctx, stream, consumerConfig(testNetwork, "sn-pj-dakar")); err != nil {
		t.Fatal(err)
	}
	gh, sn := n.connect(t, "gh-ag"), n.connect(t, "sn-pj-dakar")
	publishTo(t, ctx, gh, "gh-ag", "sn-pj-dakar", 4)
	ackNext(t, ctx, sn, "sn-pj-dakar", 0, 2)
	if err := ensureConsumers(ctx, js, n.hub.roster.Roster); err != nil {
		t.Fatal(err)
	}
	cc := inboxConfig(t, ctx, js, "sn-pj-dakar")
	if !cc.MemoryStorage || cc.DeliverPolicy != jetstream.DeliverByStartSequencePolicy || cc.OptStartSeq != 3 {
		t.Fatalf("replaced consumer: memory %v, policy %v, start %d; want memory, by start sequence, 3", cc.MemoryStorage, cc.DeliverPolicy, cc.OptStartSeq)
	}
	if floor := savedFloor(t, ctx, js, "sn-pj-dakar"); floor != 2 {
		t.Fatalf("saved floor %d, want 2", floor)
	}
	ackNext(t, ctx, sn, "sn-pj-dakar", 2, 2)
}

// TestParsePosition checks what a saved position may hold.
func TestParsePosition(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "42": 42, "18446744073709551615": 1<<64 - 1} {
		if got, err := parsePosition([]byte(in)); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "+1", " 1", "1e3", "0x10", "18446744073709551616", "123456789012345678901"} {
		if got, err := parsePosition([]byte(in)); err == nil {
			t.Errorf("%q: %d, want an error", in, got)
		}
	}
}

func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"0", "42", "18446744073709551615", "", "-1", "1e3"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parsePosition(b)
		if err != nil {
			return
		}
		back, err := strconv.ParseUint(strconv.FormatUint(v, 10), 10, 64)
		if err != nil || back != v || len(b) > maxPositionValue {
			t.Fatalf("%q parsed as %d", b, v)
		}
		for _, c := range b {
			if c < '0' || c > '9' {
				t.Fatalf("%q accepted", b)
			}
		}
	})
}

// TestInboxPositionBeyondTheStream checks that a saved floor beyond the
// stream's last sequence (a backup whose positions were snapshotted after
// its messages) does not make the consumer skip the messages stored next.
func TestInboxPositionBeyondTheStream(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	js, stream := n.hub.js, protocol.StreamName(testNetwork)
	gh, sn := n.connect(t, "gh-ag"), n.connect(t, "sn-pj-dakar")
	publishTo(t, ctx, gh, "gh-ag", "sn-pj-dakar", 2)
	kv, err := js.KeyValue(ctx, positionsBucket(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "sn-pj-dakar", []byte("7")); err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteConsumer(ctx, stream, protocol.ConsumerName("sn-pj-dakar")); err != nil {
		t.Fatal(err)
	}
	if err := ensureConsumers(ctx, js, n.hub.roster.Roster); err != nil {
		t.Fatal(err)
	}
	if cc := inboxConfig(t, ctx, js, "sn-pj-dakar"); cc.OptStartSeq != 3 {
		t.Fatalf("consumer starts at %d with floor 7 saved and 2 messages stored, want 3", cc.OptStartSeq)
	}
	publishTo(t, ctx, gh, "gh-ag", "sn-pj-dakar", 1)
	ackNext(t, ctx, sn, "sn-pj-dakar", 0, 1)
}
