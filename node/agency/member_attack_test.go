package agency_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// Attacks by a member with its own valid credentials (issue #10), against
// a real hub and real nodes.

// rejectedRecords returns agency's rejected records with their payloads.
func (w *testNetwork) rejectedRecords(agency string) ([]auditRecord, []*auditlog.Rejection) {
	w.t.Helper()
	var recs []auditRecord
	var rjs []*auditlog.Rejection
	for _, r := range w.audit(agency) {
		if r.Type != auditlog.TypeRejected {
			continue
		}
		rj, err := auditlog.DecodeRejection(r.Payload)
		if err != nil {
			w.t.Fatal(err)
		}
		recs, rjs = append(recs, r), append(rjs, rj)
	}
	return recs, rjs
}

// TestRelayedMessageIsBlamedOnItsPublisher: ml-pj, a member, relays an
// authentic message sn-pj-dakar sent to both ml-pj and gh-ag, and spoofs
// another in sn-pj-dakar's name. gh-ag rejects both, records ml-pj as the
// publisher next to the claimed sender, sends sn-pj-dakar no receipt for
// them, and still takes sn-pj-dakar's own copy.
func TestRelayedMessageIsBlamedOnItsPublisher(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag", "ml-pj")
	b := w.node("gh-ag")
	sender := w.nodes["sn-pj-dakar"].id
	relay := w.raw("ml-pj")

	genuine := w.sealAs(sender, protocol.TypeLead, seal.Options{}, "gh-ag", "ml-pj")
	relay.publish("gh-ag", protocol.TypeLead, genuine.Raw)
	spoof := bytes.Clone(w.sealAs(sender, protocol.TypeLead, seal.Options{}, "gh-ag").Raw)
	i := len(spoof) - 40
	spoof[i] = map[bool]byte{true: 'B', false: 'A'}[spoof[i] == 'A']
	relay.publish("gh-ag", protocol.TypeLead, spoof)
	poll.Until(t, 20*time.Second, "both inputs rejected", func() bool {
		s, _ := b.Status(context.Background())
		return s.Rejected == 2
	})
	recs, rjs := w.rejectedRecords("gh-ag")
	if len(rjs) != 2 {
		t.Fatalf("%d rejected records, want 2", len(rjs))
	}
	if rjs[0].Reason != protocol.ReasonWrongPublisher || rjs[0].Publisher != "ml-pj" || recs[0].Actor != "sn-pj-dakar" || recs[0].MessageID != genuine.Header.ID {
		t.Errorf("relayed authentic message: reason %s, publisher %q, claimed %q; want wrong-publisher, ml-pj, sn-pj-dakar", rjs[0].Reason, rjs[0].Publisher, recs[0].Actor)
	}
	if rjs[1].Reason != protocol.ReasonBadSignature || rjs[1].Publisher != "ml-pj" || recs[1].Actor != "sn-pj-dakar" {
		t.Errorf("spoofed message: reason %s, publisher %q, claimed %q; want bad-signature, ml-pj, sn-pj-dakar", rjs[1].Reason, rjs[1].Publisher, recs[1].Actor)
	}
	if rc := receiptsIn(t, w.audit("gh-ag"), "gh-ag"); len(rc) != 0 {
		t.Errorf("gh-ag signed %d receipts for inputs sn-pj-dakar did not publish", len(rc))
	}
	// sn-pj-dakar's own copy is taken.
	w.raw("sn-pj-dakar").publish("gh-ag", protocol.TypeLead, genuine.Raw)
	poll.Until(t, 20*time.Second, "sn-pj-dakar's own copy", func() bool {
		ids := inboxIDs(t, b)
		return len(ids) == 1 && ids[0] == genuine.Header.ID
	})
}

// TestRejectionFloodIsBounded: a member floods gh-ag with garbage; gh-ag
// records every input, but keeps the bytes of only
// rejections_kept_per_hour of them in full; another member's rejection is
// kept in full still.
func TestRejectionFloodIsBounded(t *testing.T) {
	const kept, flood = 3, 12
	w := newNetwork(t, netOptions{Config: func(c *config.Node) { c.RejectionsKeptPerHour = kept }}, "sn-pj-dakar", "gh-ag", "ml-pj")
	b := w.node("gh-ag")
	garbage := bytes.Repeat([]byte("garbage "), 4096)
	p := w.raw("ml-pj")
	for i := range flood {
		p.publish("gh-ag", protocol.TypeLead, fmt.Appendf(bytes.Clone(garbage), "%d", i))
	}
	w.raw("sn-pj-dakar").publish("gh-ag", protocol.TypeLead, []byte("one bad input"))
	poll.Until(t, 20*time.Second, "every input rejected", func() bool {
		s, _ := b.Status(context.Background())
		return s.Rejected == flood+1
	})
	_, rjs := w.rejectedRecords("gh-ag")
	full, withheld := 0, 0
	for _, rj := range rjs {
		switch {
		case rj.Publisher == "ml-pj" && rj.Complete() && rj.Size == int64(len(garbage))+int64(len(fmt.Sprint(0))):
			full++
		case rj.Publisher == "ml-pj" && rj.Withheld && len(rj.Raw) == 0 && rj.Size > int64(len(garbage)) && rj.Reason == protocol.ReasonMalformed:
			withheld++
		case rj.Publisher == "sn-pj-dakar" && rj.Complete() && string(rj.Raw) == "one bad input":
		default:
			t.Errorf("unexpected rejection: reason %s, publisher %q, size %d, kept %d bytes, withheld %v", rj.Reason, rj.Publisher, rj.Size, len(rj.Raw), rj.Withheld)
		}
	}
	if full+withheld != flood || full > kept || withheld < flood-kept {
		t.Fatalf("of %d inputs from ml-pj: %d kept in full, %d withheld; want at most %d in full", flood, full, withheld, kept)
	}
}

// TestOverLimitIsShownAndRefused: with a hub limit of 3 stored messages
// per member, sn-pj-dakar's fourth message is refused; its node says so in
// its status and keeps the message in its outbox.
func TestOverLimitIsShownAndRefused(t *testing.T) {
	w := newNetwork(t, netOptions{Hub: func(h *config.Hub) { h.MemberLimits.StoredMessages = 3 }}, "sn-pj-dakar", "gh-ag")
	a := w.node("sn-pj-dakar")
	for range 3 {
		send(t, a, protocol.TypeLead, "", "gh-ag")
	}
	// Three messages and gh-ag's receipts are in; sn-pj-dakar's receipts
	// for nothing: it has used its three.
	id := send(t, a, protocol.TypeLead, "", "gh-ag")
	poll.Until(t, 20*time.Second, "the node to show it is over its limits", func() bool {
		s, _ := a.Status(context.Background())
		return strings.Contains(s.Hub.OverLimit, "member_limits.stored_messages") && s.Hub.OverLimitSince != nil
	})
	if st := copyState(t, a, id, "gh-ag"); st == "relayed" || st == "delivered" {
		t.Fatalf("the fourth message is %s", st)
	}
	poll.Until(t, 20*time.Second, "gh-ag's three messages", func() bool { return len(inboxIDs(t, w.node("gh-ag"))) == 3 })
	if s, _ := a.Status(context.Background()); s.Hub.OverLimit == "" {
		t.Fatal("the alarm went away while the message is still refused")
	}
}

// TestNodesGetTheRosterBackAfterRepair: the roster bucket holds garbage
// (what an older hub's answer left there when a member chose the bucket as
// its reply subject) and the nodes, reading it, raise a roster alarm; the
// hub restarts, replaces it with roster.jws, and the nodes' alarms clear.
func TestNodesGetTheRosterBackAfterRepair(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	w.stopHub()
	stop := serveBadRoster(t, w)
	for _, a := range []string{"sn-pj-dakar", "gh-ag"} {
		poll.Until(t, 20*time.Second, a+"'s roster alarm", func() bool {
			s, err := w.node(a).Status(context.Background())
			return err == nil && s.Roster != nil && strings.Contains(s.Roster.Alarm, "roster")
		})
	}
	stop()
	w.restartHub()
	for _, a := range []string{"sn-pj-dakar", "gh-ag"} {
		poll.Until(t, 20*time.Second, a+"'s alarm to clear", func() bool {
			s, err := w.node(a).Status(context.Background())
			return err == nil && s.Hub.State == "online" && s.Roster != nil && s.Roster.Alarm == ""
		})
	}
	id := send(t, w.node("sn-pj-dakar"), protocol.TypeLead, "", "gh-ag")
	waitState(t, w.node("sn-pj-dakar"), id, "delivered", "gh-ag")
}

// serveBadRoster writes an acknowledgement's JSON over the roster in the
// stopped hub's roster bucket, and serves those files on the hub's address
// with a bare server, as an older hub served them after the attack. stop
// shuts it down.
func serveBadRoster(t *testing.T, w *testNetwork) (stop func()) {
	t.Helper()
	cfg, err := config.LoadHub(w.hubDir)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(w.listen)
	if err != nil {
		t.Fatal(err)
	}
	// An older hub kept its streams in the server's global account; the
	// hub restarted on these files moves them to its own account.
	if err := os.Rename(filepath.Join(cfg.StoreDir, "jetstream", "HUB"), filepath.Join(cfg.StoreDir, "jetstream", "$G")); err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	opts := &server.Options{Port: p, Host: host, NoSigs: true, JetStream: true, StoreDir: cfg.StoreDir,
		ServerName: "casenode-hub-" + cfg.Network, MaxPayload: int32(cfg.MaxPayload + config.HeaderAllowance)}
	for _, tn := range w.nodes {
		seed, err := os.ReadFile(tn.creds)
		if err != nil {
			t.Fatal(err)
		}
		kp, err := nkeys.ParseDecoratedNKey(seed)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := kp.PublicKey()
		opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: pub})
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	stop = func() { srv.Shutdown(); srv.WaitForShutdown() }
	if !srv.ReadyForConnections(10 * time.Second) {
		stop()
		t.Fatal("bare server not ready")
	}
	nkey, err := nats.NkeyOptionFromSeed(w.nodes["gh-ag"].creds)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nkey)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var kv jetstream.KeyValue
	for kv == nil {
		if kv, err = js.KeyValue(ctx, protocol.RosterBucket(w.network)); err != nil && ctx.Err() != nil {
			t.Fatal(err)
		}
	}
	if _, err := kv.Put(ctx, protocol.RosterKey, []byte(`{"stream":"casenet-wacap-messages","seq":7}`)); err != nil {
		t.Fatal(err)
	}
	return stop
}

// TestJetStreamAnswersReachNoOtherInbox: the JetStream API answers on any
// reply subject a member names; a member naming another agency's message
// subject for its pull and consumer-info requests had the hub store the
// answers there (issue #10). Members are in an account of their own, so
// the answers go back there, and the other agency's node gets nothing but
// its genuine message: no input, no rejection.
func TestJetStreamAnswersReachNoOtherInbox(t *testing.T) {
	w := newNetwork(t, netOptions{Idle: []string{"gh-ag"}}, "sn-pj-dakar", "ml-pj")
	b := w.node("ml-pj")
	sn, gh := w.raw("sn-pj-dakar"), w.raw("gh-ag")
	target := protocol.MessageSubject(w.network, "sn-pj-dakar", "ml-pj", protocol.TypeLead)

	sealed := w.sealAs(w.nodes["sn-pj-dakar"].id, protocol.TypeLead, seal.Options{}, "gh-ag")
	sn.publish("gh-ag", protocol.TypeLead, sealed.Raw)
	next := "$JS.API.CONSUMER.MSG.NEXT." + protocol.StreamName(w.network) + "." + protocol.ConsumerName("gh-ag")
	info := "$JS.API.CONSUMER.INFO." + protocol.StreamName(w.network) + "." + protocol.ConsumerName("gh-ag")
	for _, m := range []*nats.Msg{
		{Subject: next, Reply: target, Data: []byte(`{"batch":1,"expires":2000000000}`)},
		{Subject: info, Reply: target, Data: []byte(`{}`)},
	} {
		if err := gh.nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := gh.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	genuine := w.sealAs(w.nodes["sn-pj-dakar"].id, protocol.TypeLead, seal.Options{}, "ml-pj")
	sn.publish("ml-pj", protocol.TypeLead, genuine.Raw)
	poll.Until(t, 20*time.Second, "ml-pj's genuine message", func() bool { return len(inboxIDs(t, b)) == 1 })
	if s, _ := b.Status(context.Background()); s.Rejected != 0 {
		t.Fatalf("ml-pj rejected %d inputs: a JetStream answer reached its inbox", s.Rejected)
	}
	if got := inboxIDs(t, b); len(got) != 1 || got[0] != genuine.Header.ID {
		t.Fatalf("ml-pj's inbox holds %v, want only %s", got, genuine.Header.ID)
	}
}
