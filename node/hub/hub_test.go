package hub

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestHubSetsUpJetStream(t *testing.T) {
	n := newTestNet(t, "gh-ag")
	ctx := ctxT(t)
	js := n.hub.js
	st, err := js.Stream(ctx, protocol.StreamName(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if !cfg.DenyDelete || !cfg.DenyPurge {
		t.Errorf("stream DenyDelete %v DenyPurge %v, want both", cfg.DenyDelete, cfg.DenyPurge)
	}
	if cfg.Storage != jetstream.FileStorage || cfg.Duplicates != 24*time.Hour || cfg.MaxMsgSize < 8<<20 {
		t.Errorf("stream config %+v", cfg)
	}
	if len(cfg.Subjects) != 1 || cfg.Subjects[0] != protocol.StreamSubjects(testNetwork) {
		t.Errorf("stream subjects %v", cfg.Subjects)
	}
	kv, err := js.KeyValue(ctx, protocol.RosterBucket(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	status, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.History() < 10 || status.BackingStore() != "JetStream" {
		t.Errorf("roster bucket history %d", status.History())
	}
	entry, err := kv.Get(ctx, protocol.RosterKey)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := VerifyRoster(entry.Value(), n.hub.card.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if sr.Roster.Serial != 2 || sr.Roster.Member("gh-ag") == nil {
		t.Errorf("published roster serial %d", sr.Roster.Serial)
	}
	for _, agency := range []string{"gh-ag", "wacap-secretariat"} {
		c, err := js.Consumer(ctx, protocol.StreamName(testNetwork), protocol.ConsumerName(agency))
		if err != nil {
			t.Fatalf("consumer of %s: %v", agency, err)
		}
		cc := c.CachedInfo().Config
		if cc.FilterSubject != protocol.InboxFilter(testNetwork, agency) || cc.AckPolicy != jetstream.AckExplicitPolicy || cc.MaxDeliver != -1 || cc.AckWait != ConsumerAckWait {
			t.Errorf("consumer of %s: %+v", agency, cc)
		}
	}
}

func TestAgencyExchangesMessages(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	gh, sn := n.connect(t, "gh-ag"), n.connect(t, "sn-pj-dakar")

	subject := protocol.MessageSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeReceipt)
	id := protocol.NewMessageID(time.Now())
	msg := &nats.Msg{Subject: protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeReceipt), Data: []byte("sealed")}
	ack, err := gh.js.PublishMsg(ctx, msg, jetstream.WithMsgID(protocol.PublishID(id, "sn-pj-dakar")), jetstream.WithExpectStream(protocol.StreamName(testNetwork)))
	if err != nil {
		t.Fatalf("publish on own sender subject: %v", err)
	}
	again, err := gh.js.PublishMsg(ctx, msg, jetstream.WithMsgID(protocol.PublishID(id, "sn-pj-dakar")))
	if err != nil || !again.Duplicate || again.Sequence != ack.Sequence {
		t.Fatalf("resend: %+v, %v; want the duplicate of sequence %d", again, err, ack.Sequence)
	}

	cons, err := sn.js.Consumer(ctx, protocol.StreamName(testNetwork), protocol.ConsumerName("sn-pj-dakar"))
	if err != nil {
		t.Fatalf("bind own consumer: %v", err)
	}
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []jetstream.Msg
	for m := range batch.Messages() {
		got = append(got, m)
	}
	if len(got) != 1 || got[0].Subject() != subject || string(got[0].Data()) != "sealed" {
		t.Fatalf("fetched %d messages, %v", len(got), batch.Error())
	}
	if err := got[0].DoubleAck(ctx); err != nil {
		t.Fatalf("ack: %v", err)
	}

	kv, err := sn.js.KeyValue(ctx, protocol.RosterBucket(testNetwork))
	if err != nil {
		t.Fatalf("open roster bucket: %v", err)
	}
	entry, err := kv.Get(ctx, protocol.RosterKey)
	if err != nil {
		t.Fatalf("read roster: %v", err)
	}
	if _, err := VerifyRoster(entry.Value(), n.hub.card.PublicKey()); err != nil {
		t.Fatal(err)
	}
	sub, err := sn.nc.SubscribeSync(rosterSubject(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	if err := sn.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	n.add(t, "ne-mj")
	if err := n.hub.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("roster wake-up: %v", err)
	}
	if sr, err := VerifyRoster(m.Data, n.hub.card.PublicKey()); err != nil || sr.Roster.Serial != 4 {
		t.Fatalf("roster wake-up: %v", err)
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if len(sn.errs) > 0 || len(gh.errs) > 0 {
		t.Fatalf("asynchronous errors: %v %v", sn.errs, gh.errs)
	}
}

func TestAgencyIsConfinedToItsSubjects(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	gh := n.connect(t, "gh-ag")

	// Reading another agency's inbox.
	if _, err := gh.nc.SubscribeSync(protocol.InboxPrefix("sn-pj-dakar") + ".>"); err != nil {
		t.Fatal(err)
	}
	gh.waitError(t, "Permissions Violation", "Subscription", protocol.InboxPrefix("sn-pj-dakar"))
	if _, err := gh.nc.SubscribeSync(protocol.InboxFilter(testNetwork, "sn-pj-dakar")); err != nil {
		t.Fatal(err)
	}
	gh.waitError(t, "Permissions Violation", "Subscription", protocol.InboxFilter(testNetwork, "sn-pj-dakar"))

	// Publishing as another agency.
	forged := protocol.IngestSubject(testNetwork, "sn-pj-dakar", "gh-ag", protocol.TypeReceipt)
	if err := gh.nc.Publish(forged, []byte("forged")); err != nil {
		t.Fatal(err)
	}
	gh.waitError(t, "Permissions Violation", "Publish", forged)

	// Pulling from another agency's consumer, creating consumers, deleting.
	for _, subj := range []string{
		"$JS.API.CONSUMER.MSG.NEXT." + protocol.StreamName(testNetwork) + "." + protocol.ConsumerName("sn-pj-dakar"),
		"$JS.API.CONSUMER.CREATE." + protocol.StreamName(testNetwork),
		"$JS.API.STREAM.DELETE." + protocol.StreamName(testNetwork),
	} {
		if err := gh.nc.PublishRequest(subj, protocol.InboxPrefix("gh-ag")+".x", []byte("{}")); err != nil {
			t.Fatal(err)
		}
		gh.waitError(t, "Permissions Violation", "Publish", subj)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond) // the denied request only times out
	defer cancel()
	if _, err := gh.js.CreateOrUpdateConsumer(short, protocol.StreamName(testNetwork), jetstream.ConsumerConfig{Durable: "mine"}); err == nil {
		t.Fatal("agency created a consumer")
	}
}

func TestConnectionWithoutValidCredsIsRefused(t *testing.T) {
	n := newTestNet(t)
	if _, err := nats.Connect(n.hub.ClientURL(), nats.NoReconnect()); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("connect without creds: %v, want an authorization violation", err)
	}
	// The admin user may look but not take.
	admin, err := nats.NkeyOptionFromSeed(filepath.Join(n.dir, AdminCredsFile))
	if err != nil {
		t.Fatal(err)
	}
	c := &agencyConn{}
	c.nc, err = nats.Connect(n.hub.ClientURL(), admin, nats.NoReconnect(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		c.mu.Lock()
		c.errs = append(c.errs, err)
		c.mu.Unlock()
	}))
	if err != nil {
		t.Fatalf("admin: %v", err)
	}
	defer c.nc.Close()
	js, err := jetstream.New(c.nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if _, err := js.Stream(ctx, protocol.StreamName(testNetwork)); err != nil {
		t.Fatalf("admin stream info: %v", err)
	}
	del := "$JS.API.STREAM.DELETE." + protocol.StreamName(testNetwork)
	if err := c.nc.PublishRequest(del, "_INBOX.x", nil); err != nil {
		t.Fatal(err)
	}
	c.waitError(t, "Permissions Violation", "Publish", del)
	if _, err := js.Stream(ctx, protocol.StreamName(testNetwork)); err != nil {
		t.Fatalf("stream gone after the admin's denied delete: %v", err)
	}
}

func TestRevokedAgencyIsDisconnected(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	gh := n.connect(t, "gh-ag")
	closed := make(chan struct{})
	gh.nc.SetClosedHandler(func(*nats.Conn) { close(closed) })

	s, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := s.Revoke("gh-ag", time.Now())
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.hub.Reload(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("revoked agency still connected")
	}
	n.readsRosterOnly(t, n.connect(t, "gh-ag"), "gh-ag")
	if got := n.hub.Roster().Roster; got.Serial != sr.Roster.Serial || got.Member("gh-ag").Status != protocol.StatusRevoked {
		t.Fatalf("hub roster serial %d", got.Serial)
	}
	n.connect(t, "sn-pj-dakar")
}

func TestRunAdmitsNewMember(t *testing.T) {
	n := newTestNet(t)
	n.hub.poll = 10 * time.Millisecond
	ctx := ctxT(t)
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- n.hub.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()
	n.add(t, "gh-ag")
	poll.Until(t, 10*time.Second, "the hub to admit gh-ag", func() bool { return n.hub.Roster().Roster.Member("gh-ag") != nil })
	gh := n.connect(t, "gh-ag")
	if _, err := gh.js.Consumer(ctx, protocol.StreamName(testNetwork), protocol.ConsumerName("gh-ag")); err != nil {
		t.Fatalf("new member binds its consumer: %v", err)
	}
}

func TestReloadRefusesOlderRoster(t *testing.T) {
	n := newTestNet(t)
	old, err := os.ReadFile(filepath.Join(n.dir, RosterFile))
	if err != nil {
		t.Fatal(err)
	}
	n.add(t, "gh-ag")
	ctx := ctxT(t)
	if err := n.hub.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.dir, RosterFile), old, 0o644); err != nil {
		t.Fatal(err)
	}
	var stale *protocol.StaleRosterError
	if err := n.hub.Reload(ctx); !errors.As(err, &stale) {
		t.Fatalf("reload of serial 1 after 2: %v", err)
	}
	if n.hub.Roster().Roster.Serial != 2 {
		t.Fatal("hub went back to an older roster")
	}
	// After a restart too: the bucket remembers serial 2.
	n.hub.Close()
	_, err = Open(ctx, n.dir, Options{Logger: testLogger(t)})
	var rb *RollbackError
	if !errors.As(err, &rb) {
		t.Fatalf("open with a rolled back roster.jws: %v", err)
	}
}

func TestMessagesSurviveRestart(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	gh := n.connect(t, "gh-ag")
	subject := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeReceipt)
	if _, err := gh.js.Publish(ctx, subject, []byte("kept"), jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), "sn-pj-dakar"))); err != nil {
		t.Fatal(err)
	}
	gh.nc.Close()
	n.hub.Close()
	n.start(t)
	sn := n.connect(t, "sn-pj-dakar")
	cons, err := sn.js.Consumer(ctx, protocol.StreamName(testNetwork), protocol.ConsumerName("sn-pj-dakar"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatalf("message after restart: %v", err)
	}
	if string(m.Data()) != "kept" {
		t.Fatalf("got %q", m.Data())
	}
}

// TestNodesConnectOnlyToAReadyHub restarts the hub on its port while an
// agency dials it without pause and publishes, as a node does, the moment
// it is connected: that first publication must be stored. A hub that
// accepted connections before its ingest subscribed refused it (no
// responders), and the node's later publications overtook the one it had
// to send again.
func TestNodesConnectOnlyToAReadyHub(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	addr := strings.TrimPrefix(n.hub.ClientURL(), "nats://")
	cfg := n.nodeConfig("gh-ag")
	n.hub.Close()

	type result struct {
		ack *jetstream.PubAck
		err error
	}
	first := make(chan result, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			c, err := dialConfig(cfg)
			if err != nil {
				continue
			}
			defer c.nc.Close()
			subject := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead)
			id := protocol.PublishID(protocol.NewMessageID(time.Now()), "sn-pj-dakar")
			// Asynchronously, as a node publishes, but without the
			// client's own retry after 250 ms, which hides a refusal here
			// and lets the node's next publications overtake this one.
			fut, err := c.js.PublishAsync(subject, []byte("first"), jetstream.WithMsgID(id), jetstream.WithRetryAttempts(0))
			if err != nil {
				first <- result{err: err}
				return
			}
			select {
			case ack := <-fut.Ok():
				first <- result{ack: ack}
			case err := <-fut.Err():
				first <- result{err: err}
			}
			return
		}
	}()
	h, err := Open(context.Background(), n.dir, Options{Logger: testLogger(t), Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	n.hub = h
	t.Cleanup(func() { h.Close() })
	var r result
	select {
	case r = <-first:
	case <-time.After(20 * time.Second):
		t.Fatal("no connection to the restarted hub")
	}
	if r.err != nil {
		t.Fatalf("first publication on a fresh connection: %v", r.err)
	}
	if r.ack.Sequence != 1 || r.ack.Stream != protocol.StreamName(testNetwork) {
		t.Fatalf("ack %+v, want sequence 1 of %s", r.ack, protocol.StreamName(testNetwork))
	}
}

// TestOpenOnABusyPort: a hub whose client port is taken says so, and
// leaves its directory free for the next try.
func TestOpenOnABusyPort(t *testing.T) {
	n := newTestNet(t, "gh-ag")
	n.hub.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Open(context.Background(), n.dir, Options{Logger: testLogger(t), Listen: l.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("open on a busy port: %v, want an error naming %s as in use", err, l.Addr())
	}
	h, err := Open(context.Background(), n.dir, Options{Logger: testLogger(t), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("open again on a free port: %v", err)
	}
	h.Close()
}
