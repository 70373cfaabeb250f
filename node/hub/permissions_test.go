package hub

import (
	"context"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The tests below prove, one by one, what the hub refuses an agency. Each
// runs a real hub, connects as gh-ag the way its node does (node/hubconn),
// attempts the operation and waits for the hub's permission violation,
// which NATS reports asynchronously to the connection's error handler: the
// denied call itself only times out, so the test asserts the violation and
// the subject it names.

var (
	stream    = protocol.StreamName(testNetwork)
	rosterKV  = "KV_" + protocol.RosterBucket(testNetwork)
	gh, sn    = "gh-ag", "sn-pj-dakar"
	violation = "Permissions Violation"
)

// deniedNet is a network of gh-ag and sn-pj-dakar with gh-ag connected.
func deniedNet(t *testing.T) (*testNet, *agencyConn) {
	t.Helper()
	t.Parallel()
	n := newTestNet(t, gh, sn)
	return n, n.connect(t, gh)
}

// shortCtx bounds a call that the hub refuses: it can only time out.
func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// request publishes a request on subj with the agency's own reply inbox.
func (c *agencyConn) request(t *testing.T, subj string) {
	t.Helper()
	if err := c.nc.PublishRequest(subj, protocol.InboxPrefix(gh)+".probe", []byte("{}")); err != nil {
		t.Fatal(err)
	}
}

func TestAgencyCannotSubscribeToAnotherAgencysMessages(t *testing.T) {
	_, c := deniedNet(t)
	for _, subj := range []string{
		protocol.InboxFilter(testNetwork, sn),                           // messages addressed to sn-pj-dakar
		protocol.SenderFilter(testNetwork, sn),                          // messages sent by sn-pj-dakar
		protocol.StreamSubjects(testNetwork),                            // all messages
		protocol.MessageSubject(testNetwork, gh, sn, protocol.TypeLead), // its own messages to others
		protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead),  // its own publications
		protocol.IngestFilter(testNetwork),                              // everyone's publications
		">",
	} {
		if _, err := c.nc.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
		c.waitError(t, violation, "Subscription", `"`+subj+`"`)
	}
}

func TestAgencyCannotFetchFromAnotherAgencysConsumer(t *testing.T) {
	n, c := deniedNet(t)
	ctx := ctxT(t)
	sec := n.connect(t, "wacap-secretariat")
	if _, err := sec.js.Publish(ctx, protocol.IngestSubject(testNetwork, "wacap-secretariat", sn, protocol.TypeLead), []byte("for sn only"), jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), sn))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.js.Consumer(shortCtx(t), stream, protocol.ConsumerName(sn)); err == nil {
		t.Fatal("gh-ag bound sn-pj-dakar's consumer")
	}
	c.waitError(t, violation, "Publish", `"$JS.API.CONSUMER.INFO.`+stream+`.`+protocol.ConsumerName(sn)+`"`)
	next := "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + protocol.ConsumerName(sn)
	c.request(t, next)
	c.waitError(t, violation, "Publish", `"`+next+`"`)
	ack := "$JS.ACK." + stream + "." + protocol.ConsumerName(sn) + ".1.1.1.0.0"
	if err := c.nc.Publish(ack, nil); err != nil {
		t.Fatal(err)
	}
	c.waitError(t, violation, "Publish", `"`+ack+`"`)

	// The message is still waiting for its recipient.
	own := n.connect(t, sn)
	cons, err := own.js.Consumer(ctx, stream, protocol.ConsumerName(sn))
	if err != nil {
		t.Fatal(err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil || string(m.Data()) != "for sn only" || mustMeta(t, m).NumDelivered != 1 {
		t.Fatalf("sn-pj-dakar's message after gh-ag's attempts: %v", err)
	}
}

func mustMeta(t *testing.T, m jetstream.Msg) *jetstream.MsgMetadata {
	t.Helper()
	md, err := m.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func TestAgencyCannotCreateAConsumerOnAnotherAgencysMessages(t *testing.T) {
	_, c := deniedNet(t)
	spy := jetstream.ConsumerConfig{Durable: "spy", FilterSubject: protocol.InboxFilter(testNetwork, sn), AckPolicy: jetstream.AckExplicitPolicy}
	if _, err := c.js.CreateConsumer(shortCtx(t), stream, spy); err == nil {
		t.Fatal("gh-ag created a consumer")
	}
	c.waitError(t, violation, "Publish", `"$JS.API.CONSUMER.CREATE.`+stream+`.spy.`+spy.FilterSubject+`"`)

	// Nor re-point its own inbox consumer at another agency's messages.
	own := jetstream.ConsumerConfig{Durable: protocol.ConsumerName(gh), FilterSubject: protocol.InboxFilter(testNetwork, sn), AckPolicy: jetstream.AckExplicitPolicy}
	if _, err := c.js.CreateOrUpdateConsumer(shortCtx(t), stream, own); err == nil {
		t.Fatal("gh-ag changed its consumer")
	}
	c.waitError(t, violation, "Publish", `"$JS.API.CONSUMER.CREATE.`+stream+`.`+protocol.ConsumerName(gh)+`.`+own.FilterSubject+`"`)

	// Nor an ephemeral or ordered consumer, nor through the older API.
	if _, err := c.js.OrderedConsumer(shortCtx(t), stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{spy.FilterSubject}}); err == nil {
		t.Fatal("gh-ag created an ordered consumer")
	}
	c.waitError(t, violation, "Publish", `"$JS.API.CONSUMER.CREATE.`+stream)
	legacy := "$JS.API.CONSUMER.DURABLE.CREATE." + stream + ".spy"
	c.request(t, legacy)
	c.waitError(t, violation, "Publish", `"`+legacy+`"`)
}

func TestAgencyCannotPublishAsAnotherAgency(t *testing.T) {
	n, c := deniedNet(t)
	for _, subj := range []string{
		protocol.IngestSubject(testNetwork, sn, gh, protocol.TypeLead),                     // sn-pj-dakar as sender
		protocol.IngestSubject(testNetwork, "wacap-secretariat", sn, protocol.TypeReceipt), // the secretariat as sender
		protocol.IngestSubject("eccas", gh, sn, protocol.TypeLead),                         // another network
		protocol.MessageSubject(testNetwork, gh, sn, protocol.TypeLead),                    // straight into the stream, past the hub's sync
		protocol.MessageSubject(testNetwork, sn, gh, protocol.TypeLead),                    // straight into the stream as sn-pj-dakar
	} {
		if err := c.nc.Publish(subj, []byte("forged")); err != nil {
			t.Fatal(err)
		}
		c.waitError(t, violation, "Publish", `"`+subj+`"`)
	}
	// Through JetStream, the publish is not acknowledged and nothing is stored.
	forged := protocol.IngestSubject(testNetwork, sn, gh, protocol.TypeReply)
	if _, err := c.js.Publish(shortCtx(t), forged, []byte("forged")); err == nil {
		t.Fatal("a forged publish was acknowledged")
	}
	c.waitError(t, violation, "Publish", `"`+forged+`"`)
	st, err := n.hub.js.Stream(ctxT(t), stream)
	if err != nil {
		t.Fatal(err)
	}
	if msgs := st.CachedInfo().State.Msgs; msgs != 0 {
		t.Fatalf("the stream holds %d forged messages", msgs)
	}
}

func TestAgencyCannotWriteTheRoster(t *testing.T) {
	n, c := deniedNet(t)
	ctx := ctxT(t)
	subj := rosterSubject(testNetwork)
	if err := c.nc.Publish(subj, []byte("forged roster")); err != nil {
		t.Fatal(err)
	}
	c.waitError(t, violation, "Publish", `"`+subj+`"`)
	for _, api := range []string{
		"$JS.API.STREAM.PURGE." + rosterKV,
		"$JS.API.STREAM.DELETE." + rosterKV,
		"$JS.API.STREAM.MSG.DELETE." + rosterKV,
		"$JS.API.STREAM.UPDATE." + rosterKV,
	} {
		c.request(t, api)
		c.waitError(t, violation, "Publish", `"`+api+`"`)
	}
	// The published roster is the secretariat's, unchanged.
	kv, err := c.js.KeyValue(ctx, protocol.RosterBucket(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, protocol.RosterKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyRoster(e.Value(), n.hub.card.PublicKey()); err != nil {
		t.Fatalf("roster after gh-ag's attempts: %v", err)
	}
}

func TestAgencyCannotCreateStreams(t *testing.T) {
	_, c := deniedNet(t)
	if _, err := c.js.CreateStream(shortCtx(t), jetstream.StreamConfig{Name: "spy", Subjects: []string{protocol.StreamSubjects(testNetwork)}}); err == nil {
		t.Fatal("gh-ag created a stream")
	}
	c.waitError(t, violation, "Publish", `"$JS.API.STREAM.CREATE.spy"`)
	kv := "$JS.API.STREAM.CREATE.KV_spy" // a key-value bucket
	c.request(t, kv)
	c.waitError(t, violation, "Publish", `"`+kv+`"`)
}

func TestAgencyCannotDeleteStreams(t *testing.T) {
	n, c := deniedNet(t)
	if err := c.js.DeleteStream(shortCtx(t), stream); err == nil {
		t.Fatal("gh-ag deleted the messages stream")
	}
	c.waitError(t, violation, "Publish", `"$JS.API.STREAM.DELETE.`+stream+`"`)
	del := "$JS.API.STREAM.MSG.DELETE." + stream
	c.request(t, del)
	c.waitError(t, violation, "Publish", `"`+del+`"`)
	if _, err := n.hub.js.Stream(ctxT(t), stream); err != nil {
		t.Fatalf("stream after gh-ag's attempt: %v", err)
	}
}

func TestAgencyCannotPurgeOrChangeStreams(t *testing.T) {
	_, c := deniedNet(t)
	for _, api := range []string{
		"$JS.API.STREAM.PURGE." + stream,
		"$JS.API.STREAM.UPDATE." + stream, // e.g. to lift DenyPurge
		"$JS.API.CONSUMER.DELETE." + stream + "." + protocol.ConsumerName(sn),
	} {
		c.request(t, api)
		c.waitError(t, violation, "Publish", `"`+api+`"`)
	}
}

func TestAgencyCannotReadAnotherAgencysReplies(t *testing.T) {
	n, c := deniedNet(t)
	var subs []*nats.Subscription
	for _, subj := range []string{protocol.InboxPrefix(sn) + ".>", "_INBOX.>", "_INBOX_>", "$JS.API.>"} {
		sub, err := c.nc.SubscribeSync(subj)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
		c.waitError(t, violation, "Subscription", `"`+subj+`"`)
	}
	// sn-pj-dakar's JetStream calls get their replies; gh-ag sees none.
	own := n.connect(t, sn)
	if _, err := own.js.Consumer(ctxT(t), stream, protocol.ConsumerName(sn)); err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		if m, err := sub.NextMsg(50 * time.Millisecond); err == nil {
			t.Fatalf("gh-ag received %s", m.Subject)
		}
	}
}

// TestAgencyPermissionsAreExactlyTheContract checks the permissions the hub
// grants an agency against docs/OPERATOR.md's list, so that a change of
// either is seen.
func TestAgencyPermissionsAreExactlyTheContract(t *testing.T) {
	p := agencyPermissions(testNetwork, gh)
	wantPub := []string{
		"casenet.wacap.in.gh-ag.*.>",
		"casenet.wacap.att.gh-ag.>",
		"casenet.wacap.attdata.gh-ag.*.*",
		"casenet.wacap.witness.gh-ag",
		"$JS.API.CONSUMER.INFO.casenet-wacap-messages.inbox-gh-ag",
		"$JS.API.CONSUMER.MSG.NEXT.casenet-wacap-messages.inbox-gh-ag",
		"$JS.API.CONSUMER.RESET.casenet-wacap-messages.inbox-gh-ag",
		"$JS.ACK.casenet-wacap-messages.inbox-gh-ag.>",
		"$JS.API.STREAM.INFO.KV_casenet-wacap-roster",
		"$JS.API.DIRECT.GET.KV_casenet-wacap-roster",
		"$JS.API.DIRECT.GET.KV_casenet-wacap-roster.>",
		"$JS.API.STREAM.MSG.GET.KV_casenet-wacap-roster",
	}
	wantSub := []string{"_INBOX_gh_ag.>", "$KV.casenet-wacap-roster.roster", "casenet.wacap.attto.gh-ag.>"}
	if !equalStrings(p.Publish.Allow, wantPub) || len(p.Publish.Deny) != 0 {
		t.Errorf("publish allow %v", p.Publish.Allow)
	}
	if !equalStrings(p.Subscribe.Allow, wantSub) || len(p.Subscribe.Deny) != 0 {
		t.Errorf("subscribe allow %v", p.Subscribe.Allow)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
