package hub

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// Attacks by a member with its own valid credentials (issue #10): what it
// sends is published as `nats pub --reply` does, a message with its Reply
// set, on the member's own connection.

const ml = "ml-mj"

// pubWithReply publishes data on gh-ag's own ingest subject to sn-pj-dakar
// with reply as its reply subject, as `nats pub --reply` does.
func pubWithReply(t *testing.T, c *agencyConn, reply string, data []byte) {
	t.Helper()
	m := &nats.Msg{Subject: protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), Reply: reply, Data: data}
	if err := c.nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// settleIngest publishes a genuine message from c through the ingest and
// waits for its acknowledgement: the ingest takes publications in order,
// so everything c published before has been handled.
func settleIngest(t *testing.T, c *agencyConn, from string) *jetstream.PubAck {
	t.Helper()
	ack, err := c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, from, sn, protocol.TypeLead), []byte("genuine"),
		jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), sn)))
	if err != nil {
		t.Fatalf("genuine publication of %s: %v", from, err)
	}
	return ack
}

func rosterEntry(t *testing.T, n *testNet) jetstream.KeyValueEntry {
	t.Helper()
	e, err := n.hub.kv.Get(ctxT(t), protocol.RosterKey)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestReplySubjectCannotOverwriteTheRoster(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	c := n.connect(t, gh)
	before := rosterEntry(t, n)

	pubWithReply(t, c, rosterSubject(testNetwork), []byte("sealed lead"))
	settleIngest(t, c, gh)

	after := rosterEntry(t, n)
	if after.Revision() != before.Revision() || !bytes.Equal(after.Value(), n.hub.Roster().JWS) {
		t.Fatalf("roster bucket revision %d → %d, value %.60q: the hub answered into the roster bucket", before.Revision(), after.Revision(), after.Value())
	}
	// The hub still restarts on its roster.
	n.hub.Close()
	n.start(t)
}

func TestReplySubjectCannotInjectIntoAnotherInbox(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	c := n.connect(t, gh)
	target := protocol.MessageSubject(testNetwork, sn, ml, protocol.TypeLead)

	pubWithReply(t, c, target, []byte("sealed lead"))
	settleIngest(t, c, gh)

	cons, err := n.connect(t, ml).js.Consumer(ctxT(t), protocol.StreamName(testNetwork), protocol.ConsumerName(ml))
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.NumPending != 0 || info.NumAckPending != 0 {
		t.Fatalf("%s's inbox holds %d messages after gh-ag's reply subject %s: the hub injected its answer", ml, info.NumPending, target)
	}
	if got := streamMsgs(t, n); got != 1 {
		t.Fatalf("the stream holds %d messages, want gh-ag's genuine 1", got)
	}
}

// TestRefusalLogIsBounded: a member repeating refused publications gets
// one log line a minute, which then counts those not logged.
func TestRefusalLogIsBounded(t *testing.T) {
	var buf logBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var r refusalLog
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for i := range 1000 {
		r.log(log, t0.Add(time.Duration(i)*time.Millisecond), gh, "publication refused", "reply", "x")
	}
	r.log(log, t0.Add(time.Second), sn, "publication refused", "reply", "y")
	r.log(log, t0.Add(time.Minute), gh, "publication refused", "reply", "z")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "member="+gh) || !strings.Contains(lines[1], "member="+sn) ||
		!strings.Contains(lines[2], "member="+gh) || !strings.Contains(lines[2], "refused_unlogged=999") {
		t.Fatalf("log of 1002 refusals:\n%s", buf.String())
	}
}

// TestHubConnectionsHaveOnlyTheirPermissions connects as each of the hub's
// own users and checks that NATS itself denies what the ingest's answers
// must never do, should the ingest's own check fail one day.
func TestHubConnectionsHaveOnlyTheirPermissions(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	for _, tc := range []struct {
		name   string
		kp     nkeys.KeyPair
		denied []string
	}{
		{"answer", n.hub.internal.answer, []string{rosterSubject(testNetwork), protocol.MessageSubject(testNetwork, gh, sn, protocol.TypeLead), "$JS.API.STREAM.DELETE." + protocol.StreamName(testNetwork), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead)}},
		{"ingest", n.hub.internal.ingest, []string{rosterSubject(testNetwork), protocol.InboxPrefix(sn) + ".x", "$JS.API.STREAM.DELETE." + protocol.StreamName(testNetwork)}},
		{"service", n.hub.internal.service, []string{protocol.MessageSubject(testNetwork, gh, sn, protocol.TypeLead), protocol.InboxPrefix(sn) + ".x"}},
	} {
		pub, _ := tc.kp.PublicKey()
		var mu sync.Mutex
		var errs []string
		nc, err := nats.Connect("", nats.InProcessServer(n.hub.srv), nats.Nkey(pub, tc.kp.Sign), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			mu.Lock()
			errs = append(errs, err.Error())
			mu.Unlock()
		}))
		if err != nil {
			t.Fatal(err)
		}
		for _, subj := range tc.denied {
			if err := nc.Publish(subj, []byte("x")); err != nil {
				t.Fatal(err)
			}
			poll.Until(t, 10*time.Second, tc.name+" denied "+subj, func() bool {
				mu.Lock()
				defer mu.Unlock()
				for _, e := range errs {
					if strings.Contains(e, "Permissions Violation") && strings.Contains(e, `"`+subj+`"`) {
						return true
					}
				}
				return false
			})
		}
		nc.Close()
	}
	if e := rosterEntry(t, n); !bytes.Equal(e.Value(), n.hub.Roster().JWS) {
		t.Fatal("the roster bucket changed")
	}
}

// TestMessageIDIsScopedToThePublisher: gh-ag publishes garbage under the
// id of ml-mj's next message to sn-pj-dakar; ml-mj's genuine message is
// still stored and delivered.
func TestMessageIDIsScopedToThePublisher(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	a, c, s := n.connect(t, gh), n.connect(t, ml), n.connect(t, sn)
	id := protocol.PublishID(protocol.NewMessageID(time.Now()), sn)

	if _, err := a.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), []byte("garbage"), jetstream.WithMsgID(id)); err != nil {
		t.Fatal(err)
	}
	ack, err := c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, ml, sn, protocol.TypeLead), []byte("genuine"), jetstream.WithMsgID(id))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Duplicate {
		t.Fatal("ml-mj's genuine message was taken for a duplicate of gh-ag's garbage")
	}
	got := fetchInbox(t, s, sn, 2)
	if string(got[1].Data()) != "genuine" || got[1].Headers().Get(protocol.PublisherHeader) != ml {
		t.Fatalf("sn-pj-dakar got %q from %q, want ml-mj's genuine message", got[1].Data(), got[1].Headers().Get(protocol.PublisherHeader))
	}
	// ml-mj's own resend is still a duplicate.
	ack, err = c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, ml, sn, protocol.TypeLead), []byte("genuine"), jetstream.WithMsgID(id))
	if err != nil || !ack.Duplicate {
		t.Fatalf("ml-mj's resend: %+v, %v; want a duplicate", ack, err)
	}
}

// refusedWith checks that err is the hub's API error with code.
// isCode reports whether err is the hub's refusal with code.
func isCode(err error, code int) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.Code == code
}

func refusedWith(t *testing.T, err error, code int, want string) {
	t.Helper()
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != code || !strings.Contains(apiErr.Description, want) {
		t.Fatalf("publication: %v, want the hub's refusal %d with %q", err, code, want)
	}
}

func TestIngestRefusesNonMemberRecipients(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	c := n.connect(t, gh)
	_, err := c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, gh, "zz-nobody", protocol.TypeLead), []byte("x"),
		jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), "zz-nobody")))
	refusedWith(t, err, protocol.HubRefusedCode, "zz-nobody is not an active member")
	info, err := n.hub.js.Stream(ctxT(t), protocol.StreamName(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	if info.CachedInfo().State.Msgs != 0 {
		t.Fatalf("the stream holds %d messages", info.CachedInfo().State.Msgs)
	}
	n.waitLog(t, "recipient is not an active member", "member="+gh, "recipient=zz-nobody")
}

// setLimits restarts n's hub with limits in hub.json.
func (n *testNet) setLimits(t *testing.T, limits config.MemberLimits) {
	t.Helper()
	n.hub.Close()
	cfg, err := config.LoadHub(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MemberLimits = limits
	cfg.StoreDir = "jetstream"
	data, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.dir, config.HubFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n.start(t)
}

func TestMemberStoredMessagesLimit(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	n.setLimits(t, config.MemberLimits{StoredBytes: 64 << 20, StoredMessages: 3, MessagesPerSecond: 1000, BytesPerSecond: 64 << 20, AttachmentBytes: config.DefaultAttachmentBytes})
	c := n.connect(t, gh)
	for range 3 {
		settleIngest(t, c, gh)
	}
	_, err := c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), []byte("one too many"),
		jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), sn)))
	refusedWith(t, err, protocol.HubOverLimitCode, "gh-ag is over its limit member_limits.stored_messages")
	n.waitLog(t, "member over its limits", "member="+gh, "limit=member_limits.stored_messages")
	// Another member is not affected.
	settleIngest(t, n.connect(t, ml), ml)

	// The account survives a restart: the hub counts what is stored.
	n.hub.Close()
	n.start(t)
	c = n.connect(t, gh)
	_, err = c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), []byte("after restart"),
		jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), sn)))
	refusedWith(t, err, protocol.HubOverLimitCode, "stored_messages")
	if msgs, _ := n.hub.quotas.stored(ml); msgs != 1 {
		t.Fatalf("ml-mj has %d messages counted after the restart, want 1", msgs)
	}
}

func TestMemberStoredBytesLimit(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	limit := int64(config.DefaultMaxPayload + config.HeaderAllowance)
	n.setLimits(t, config.MemberLimits{StoredBytes: limit, StoredMessages: 1000, MessagesPerSecond: 1000, BytesPerSecond: 64 << 20, AttachmentBytes: config.DefaultAttachmentBytes})
	c := n.connect(t, gh)
	big := bytes.Repeat([]byte("x"), config.DefaultMaxPayload-1000)
	if _, err := c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), big,
		jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), sn))); err != nil {
		t.Fatal(err)
	}
	_, err := c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), make([]byte, 20<<10),
		jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), sn)))
	refusedWith(t, err, protocol.HubOverLimitCode, "member_limits.stored_bytes")
}

func TestMemberRateLimit(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	n.setLimits(t, config.MemberLimits{StoredBytes: 64 << 20, StoredMessages: 1000, MessagesPerSecond: 5, BytesPerSecond: 64 << 20, AttachmentBytes: config.DefaultAttachmentBytes})
	c := n.connect(t, gh)
	// The bucket holds RateBurst seconds: the burst after it is refused.
	var futs []jetstream.PubAckFuture
	var ids []string
	// A node's message ids increase, as MessageIDAfter makes them.
	last := ""
	nextID := func() string {
		_, last = protocol.MessageIDAfter(last, time.Now())
		return protocol.PublishID(last, sn)
	}
	for range 40 {
		id := nextID()
		f, err := c.js.PublishAsync(protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), []byte("x"), jetstream.WithMsgID(id))
		if err != nil {
			t.Fatal(err)
		}
		futs, ids = append(futs, f), append(ids, id)
	}
	ok, refused := 0, 0
	var refusedIDs []string
	for i, f := range futs {
		select {
		case <-f.Ok():
			ok++
			if refused > 0 {
				t.Fatalf("publication %d stored after an earlier one was refused", i)
			}
		case err := <-f.Err():
			if refused == 0 {
				refusedWith(t, err, protocol.HubOverLimitCode, "member_limits.messages_per_second")
			} else if !isCode(err, protocol.HubOverLimitCode) {
				// Behind the first refusal, the later ones are refused
				// until it comes again (ingestorder.go).
				refusedWith(t, err, protocol.HubEarlierFirstCode, "must be published again before later ones")
			}
			refused++
			refusedIDs = append(refusedIDs, ids[i])
		case <-time.After(20 * time.Second):
			t.Fatal("no answer")
		}
	}
	if ok < config.RateBurst*5 || refused == 0 || ok > 20 {
		t.Fatalf("%d stored, %d refused of a burst of 40 at 5 a second", ok, refused)
	}
	n.waitLog(t, "member over its limits", "member="+gh, "limit=member_limits.messages_per_second")
	// A later message is refused until the first refused one comes again.
	early := nextID()
	_, err := c.js.Publish(context.Background(), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), []byte("later"),
		jetstream.WithMsgID(early))
	if !isCode(err, protocol.HubEarlierFirstCode) && !isCode(err, protocol.HubOverLimitCode) {
		t.Fatalf("a later message before the refused one came again: %v, want a refusal", err)
	}
	if isCode(err, protocol.HubOverLimitCode) {
		// Refused over the rate, it fences the later ones too.
		refusedIDs = append(refusedIDs, early)
	}
	// The bucket refills: the refused ones, published again in order as a
	// node does, are taken again, each over the rate or taken, never
	// refused behind another (each is the earliest still refused), and
	// only then later ones.
	for _, id := range refusedIDs {
		poll.Until(t, 10*time.Second, "the rate to take "+id+" again", func() bool {
			_, err := c.js.Publish(context.Background(), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), []byte("x"),
				jetstream.WithMsgID(id))
			if isCode(err, protocol.HubEarlierFirstCode) {
				t.Fatalf("refused message %s published again in order: %v", id, err)
			}
			return err == nil
		})
	}
	later := nextID()
	poll.Until(t, 10*time.Second, "a later message taken once the refused one is stored", func() bool {
		_, err := c.js.Publish(context.Background(), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), []byte("later"),
			jetstream.WithMsgID(later))
		if isCode(err, protocol.HubEarlierFirstCode) {
			t.Fatalf("a later message once the refused one was stored: %v", err)
		}
		return err == nil
	})
}

// TestHubRepairsABadRosterBucket: a roster bucket whose value does not
// verify (what an older hub's answer left there) is replaced with
// roster.jws when the hub starts, and nodes reading the bucket get the
// roster back; but not when the bucket's history holds a newer roster.
func TestHubRepairsABadRosterBucket(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	ack := []byte(`{"stream":"casenet-wacap-messages","seq":1}`)
	// Without the running hub's guard, as an older hub left the bucket.
	n.hub.guard.stop()
	if _, err := n.hub.kv.Put(ctxT(t), protocol.RosterKey, ack); err != nil {
		t.Fatal(err)
	}
	n.hub.Close()
	n.start(t)
	if e := rosterEntry(t, n); !bytes.Equal(e.Value(), n.hub.Roster().JWS) {
		t.Fatalf("the bucket holds %.60q after the restart, want roster.jws", e.Value())
	}
	n.waitLog(t, "the roster bucket held a value that does not verify: replaced with roster.jws")
	// A node reads it as it does at start.
	kv, err := n.connect(t, sn).js.KeyValue(ctxT(t), protocol.RosterBucket(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctxT(t), protocol.RosterKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyRoster(e.Value(), n.hub.card.PublicKey()); err != nil {
		t.Fatalf("the node reads a roster that does not verify: %v", err)
	}

	// A newer roster in the history: roster.jws was rolled back, and the
	// hub does not decide alone.
	old, err := os.ReadFile(filepath.Join(n.dir, RosterFile))
	if err != nil {
		t.Fatal(err)
	}
	n.add(t, ml)
	if err := n.hub.Reload(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	n.hub.guard.stop()
	if _, err := n.hub.kv.Put(ctxT(t), protocol.RosterKey, ack); err != nil {
		t.Fatal(err)
	}
	n.hub.Close()
	if err := os.WriteFile(filepath.Join(n.dir, RosterFile), old, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctxT(t), n.dir, Options{Logger: testLogger(t)})
	var rb *RollbackError
	if !errors.As(err, &rb) || !strings.Contains(err.Error(), "history holds serial 4, newer than serial 3") {
		t.Fatalf("open with a bad bucket and a newer roster in its history: %v", err)
	}
}

// FuzzIngestParts checks the ingest's subject parser: what it accepts has
// agency ids for publisher and recipient, and is exactly the subject a node
// would publish for them.
func FuzzIngestParts(f *testing.F) {
	f.Add(protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead))
	f.Add(protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeContact))
	f.Add("casenet.wacap.in.gh-ag")
	f.Add("casenet.wacap.in..sn.x")
	f.Add("casenet.wacap.in.GH.sn.x")
	f.Fuzz(func(t *testing.T, subject string) {
		from, to, ok := ingestParts(testNetwork, subject)
		if !ok {
			return
		}
		if protocol.ValidateID("agency", from) != nil || protocol.ValidateID("agency", to) != nil {
			t.Fatalf("accepted %q with publisher %q, recipient %q", subject, from, to)
		}
		rest := strings.TrimPrefix(subject, "casenet."+testNetwork+".in."+from+"."+to+".")
		if protocol.IngestSubject(testNetwork, from, to, protocol.MessageType(rest)) != subject {
			t.Fatalf("accepted %q, which is not the subject of %s → %s", subject, from, to)
		}
	})
}

// TestJetStreamAnswersStayInTheMembersAccount: the JetStream API, not only
// the ingest, answers on the reply subject its client names. A member's
// API request, pull request and acknowledgement, each with the roster
// subject, another agency's message subject or another member's ingest
// subject as reply subject, leave the roster bucket, the other inbox and
// the stream untouched: each member is in an account of its own, so the
// answers go back there (the member itself, subscribed to the roster
// subject, sees them), never onto a subject of the account that holds the
// streams. TestJetStreamAnswersReachNoOtherMember shows that no other
// member sees them either.
func TestJetStreamAnswersStayInTheMembersAccount(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	c, s := n.connect(t, gh), n.connect(t, sn)
	stream := protocol.StreamName(testNetwork)
	targets := []string{
		rosterSubject(testNetwork),
		protocol.MessageSubject(testNetwork, sn, ml, protocol.TypeLead),
		protocol.IngestSubject(testNetwork, ml, sn, protocol.TypeLead),
	}
	// Three messages to gh-ag, to acknowledge with a reply subject each.
	for range targets {
		if _, err := s.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, sn, gh, protocol.TypeLead), []byte("genuine"),
			jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), gh))); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := c.js.Consumer(ctxT(t), stream, protocol.ConsumerName(gh))
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.FetchNoWait(len(targets))
	if err != nil {
		t.Fatal(err)
	}
	var acks []string
	for m := range batch.Messages() {
		acks = append(acks, m.Reply())
	}
	if len(acks) != len(targets) {
		t.Fatalf("fetched %d messages, want %d", len(acks), len(targets))
	}
	// What lands on the roster subject in gh-ag's own account: the
	// answers to the requests that named it.
	seen, err := c.nc.SubscribeSync(rosterSubject(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	roster := rosterEntry(t, n).Revision()
	msgs := streamMsgs(t, n)
	info := "$JS.API.CONSUMER.INFO." + stream + "." + protocol.ConsumerName(gh)
	next := "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + protocol.ConsumerName(gh)
	for i, target := range targets {
		for _, m := range []*nats.Msg{
			{Subject: info, Reply: target, Data: []byte("{}")},
			{Subject: next, Reply: target, Data: []byte(`{"batch":1,"no_wait":true}`)},
			{Subject: acks[i], Reply: target, Data: []byte("+ACK")},
		} {
			if err := c.nc.PublishMsg(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Each request named the roster subject once; its answer comes back
	// into gh-ag's account.
	for range 3 {
		if _, err := seen.NextMsg(10 * time.Second); err != nil {
			t.Fatalf("the answers to the requests naming the roster subject: %v", err)
		}
	}
	// And a request of each kind with gh-ag's own inbox: answered once the
	// API has handled those before.
	if _, err := cons.Info(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "gh-ag's acknowledgements applied", func() bool {
		i, err := cons.Info(ctxT(t))
		return err == nil && i.NumAckPending == 0 && i.AckFloor.Consumer == uint64(len(targets))
	})
	if e := rosterEntry(t, n); e.Revision() != roster || !bytes.Equal(e.Value(), n.hub.Roster().JWS) {
		t.Fatalf("roster bucket revision %d → %d, value %.60q: a JetStream answer reached the bucket", roster, e.Revision(), e.Value())
	}
	if got := streamMsgs(t, n); got != msgs {
		t.Fatalf("the stream holds %d messages, had %d: a JetStream answer was stored", got, msgs)
	}
	other, err := n.hub.js.Consumer(ctxT(t), stream, protocol.ConsumerName(ml))
	if err != nil {
		t.Fatal(err)
	}
	if oi, err := other.Info(ctxT(t)); err != nil || oi.NumPending != 0 || oi.Delivered.Consumer != 0 {
		t.Fatalf("ml-mj's inbox after gh-ag's requests: %+v, %v", oi, err)
	}
	if strings.Contains(n.logs.String(), "publication refused") {
		t.Fatalf("a JetStream answer reached the ingest:\n%s", n.logs.String())
	}
	if q, _ := n.hub.quotas.stored(ml); q != 0 {
		t.Fatalf("%d messages charged to ml-mj", q)
	}
}

// TestHubMovesAGlobalAccountStore: a hub of an earlier version kept its
// streams in the server's global account; it finds them again in the hub
// account, messages and consumers included.
func TestHubMovesAGlobalAccountStore(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	settleIngest(t, n.connect(t, gh), gh)
	store := n.hub.cfg.StoreDir
	n.hub.Close()
	if err := os.Rename(filepath.Join(store, "jetstream", hubAccount), filepath.Join(store, "jetstream", globalAccount)); err != nil {
		t.Fatal(err)
	}
	n.start(t)
	if got := streamMsgs(t, n); got != 1 {
		t.Fatalf("the stream holds %d messages after the move, want 1", got)
	}
	cons, err := n.connect(t, sn).js.Consumer(ctxT(t), protocol.StreamName(testNetwork), protocol.ConsumerName(sn))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := cons.Info(ctxT(t)); err != nil || info.NumPending != 1 {
		t.Fatalf("sn-pj-dakar's consumer after the move: %+v, %v", info, err)
	}
}

// TestFenceHoldsAfterAnEarlierMessage: after a publication of a pair fails
// (here over the member's bytes a second), a message with an earlier id
// that comes after it (sent at the same time, recorded and published by
// the node after the failed one) is taken, and the fence stays: a later
// message is still refused until the failed one comes again. Lifting the
// fence for the earlier one let every later message be stored before the
// failed one.
func TestFenceHoldsAfterAnEarlierMessage(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	nextID, publish := fencePair(t, n)
	// Sealed first, published last.
	early := nextID()
	failed := ""
	for range 12 {
		id := nextID()
		err := publish(id, 1<<20)
		if err != nil {
			refusedWith(t, err, protocol.HubOverLimitCode, "member_limits.bytes_per_second")
			failed = id
			break
		}
	}
	if failed == "" {
		t.Fatal("12 MiB at once, 1,024 bytes a second: none refused")
	}
	if err := publish(early, 1); err != nil {
		t.Fatalf("a message sealed before the refused one: %v, want it taken", err)
	}
	if err := publish(nextID(), 1); !isCode(err, protocol.HubEarlierFirstCode) {
		t.Fatalf("a later message after an earlier one, before the refused one came again: %v, want a 409", err)
	}
	// The refused one comes again: past the fence (the rate still refuses
	// it), and the later ones behind it too.
	if err := publish(failed, 1<<20); !isCode(err, protocol.HubOverLimitCode) {
		t.Fatalf("the refused message again: %v, want the rate's refusal", err)
	}
}

// TestFenceTakesTheFailedOnesInOrder: two publications of a pair refused
// over the sender's rate come again; the later one, within the rate, is
// refused (409) while the earlier one, over the rate once more, has not
// been taken: taken, it was stored before it (seen in
// TestOrderWhenTheHubRefusesSome, three messages received after later
// ones).
func TestFenceTakesTheFailedOnesInOrder(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	nextID, publish := fencePair(t, n)
	var failed []string
	for range 16 {
		id := nextID()
		if err := publish(id, 1<<20); err != nil {
			refusedWith(t, err, protocol.HubOverLimitCode, "member_limits.bytes_per_second")
			failed = append(failed, id)
			if len(failed) == 2 {
				break
			}
		}
	}
	if len(failed) != 2 {
		t.Fatalf("16 MiB at once, 1,024 bytes a second: %d refused, want 2", len(failed))
	}
	// The first comes again over the rate, the second within it.
	if err := publish(failed[0], 1<<20); !isCode(err, protocol.HubOverLimitCode) {
		t.Fatalf("the first refused message again: %v, want the rate's refusal", err)
	}
	if err := publish(failed[1], 1); !isCode(err, protocol.HubEarlierFirstCode) {
		t.Fatalf("the second refused message again before the first was taken: %v, want a 409", err)
	}
	// The first taken, the second goes, and a later one.
	for _, id := range []string{failed[0], failed[1], nextID()} {
		if err := publish(id, 1); err != nil {
			t.Fatalf("publication %s after the first refused one was taken: %v", id, err)
		}
	}
}

// fencePair sets gh-ag's limits so that its publications to sn-pj-dakar of
// 1 MiB soon go over its bytes a second and ones of a few bytes do not
// (the byte bucket holds one message of the largest size, 8 MiB, and
// refills at 1,024 bytes a second), and returns the next message's
// Nats-Msg-Id, in increasing order as a node makes them, and a
// publication of size bytes with a given one, answered.
func fencePair(t *testing.T, n *testNet) (nextID func() string, publish func(id string, size int) error) {
	t.Helper()
	n.setLimits(t, config.MemberLimits{StoredBytes: 64 << 20, StoredMessages: 1000, MessagesPerSecond: 1000, BytesPerSecond: 1024, AttachmentBytes: config.DefaultAttachmentBytes})
	c := n.connect(t, gh)
	lastID := ""
	nextID = func() string {
		_, lastID = protocol.MessageIDAfter(lastID, time.Now())
		return protocol.PublishID(lastID, sn)
	}
	publish = func(id string, size int) error {
		_, err := c.js.Publish(context.Background(), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), make([]byte, size), jetstream.WithMsgID(id))
		return err
	}
	return nextID, publish
}
