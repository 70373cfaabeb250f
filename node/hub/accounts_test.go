package hub

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// quietWindow is how long a test watches for what must not arrive, once
// everything it sent has been answered.
const quietWindow = 3 * time.Second

// counter counts the messages a subscription receives.
type counter struct {
	n    atomic.Int64
	last atomic.Value // string: the subject of the last one
}

func (c *counter) handle(m *nats.Msg) {
	c.n.Add(1)
	c.last.Store(m.Subject)
}

func subscribeCount(t *testing.T, c *agencyConn, subjects ...string) *counter {
	t.Helper()
	var k counter
	for _, s := range subjects {
		if _, err := c.nc.Subscribe(s, k.handle); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return &k
}

// staysZero watches k for quietWindow and fails at the first message.
func staysZero(t *testing.T, k *counter, what string) {
	t.Helper()
	end := time.Now().Add(quietWindow)
	poll.Until(t, 2*quietWindow, what, func() bool {
		if n := k.n.Load(); n != 0 {
			t.Fatalf("%s: %d messages arrived, the last on %v", what, n, k.last.Load())
		}
		return time.Now().After(end)
	})
}

// TestJetStreamAnswersReachNoOtherMember: a member makes the JetStream API
// answer each kind of request it may send (consumer info, pull request,
// acknowledgement, acknowledgement asking for the next message, the roster
// bucket's stream info, direct get and message get) on another member's
// inbox subject and on the roster subject. The answers are published, but
// in the requesting member's own account: the other member, subscribed to
// its inbox and to the roster subject, receives nothing, while the
// requester's own roster subscription sees the answers that named it.
func TestJetStreamAnswersReachNoOtherMember(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	c, s := n.connect(t, gh), n.connect(t, sn)
	kv := "KV_" + protocol.RosterBucket(testNetwork)
	// Messages to gh-ag, to acknowledge with a reply subject each.
	const pending = 4
	for range pending {
		if _, err := s.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, sn, gh, protocol.TypeLead), []byte("genuine"),
			jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), gh))); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := c.js.Consumer(ctxT(t), stream, protocol.ConsumerName(gh))
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.FetchNoWait(pending)
	if err != nil {
		t.Fatal(err)
	}
	var acks []string
	for m := range batch.Messages() {
		acks = append(acks, m.Reply())
	}
	if len(acks) != pending {
		t.Fatalf("fetched %d messages, want %d", len(acks), pending)
	}
	other := subscribeCount(t, s, protocol.InboxPrefix(sn)+".>", rosterSubject(testNetwork))
	own := subscribeCount(t, c, rosterSubject(testNetwork))

	lastBySubject := []byte(`{"last_by_subj":"` + rosterSubject(testNetwork) + `"}`)
	requests := func(i int) []*nats.Msg {
		return []*nats.Msg{
			{Subject: "$JS.API.CONSUMER.INFO." + stream + "." + protocol.ConsumerName(gh), Data: []byte("{}")},
			{Subject: "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + protocol.ConsumerName(gh), Data: []byte(`{"batch":1,"no_wait":true}`)},
			{Subject: "$JS.API.STREAM.INFO." + kv, Data: []byte("{}")},
			{Subject: "$JS.API.DIRECT.GET." + kv, Data: lastBySubject},
			{Subject: "$JS.API.DIRECT.GET." + kv + "." + rosterSubject(testNetwork)},
			{Subject: "$JS.API.STREAM.MSG.GET." + kv, Data: lastBySubject},
			{Subject: acks[2*i], Data: []byte("+ACK")},
			{Subject: acks[2*i+1], Data: []byte("+NXT")},
		}
	}
	targets := []string{protocol.InboxPrefix(sn) + ".probe", rosterSubject(testNetwork)}
	sent := 0
	for i, target := range targets {
		for _, m := range requests(i) {
			m.Reply = target
			if err := c.nc.PublishMsg(m); err != nil {
				t.Fatal(err)
			}
			sent++
		}
	}
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// The six requests that always answer, sent with the roster subject,
	// are answered in gh-ag's own account.
	poll.Until(t, 30*time.Second, "the answers naming the roster subject, in gh-ag's account", func() bool { return own.n.Load() >= 6 })
	poll.Until(t, 30*time.Second, "gh-ag's acknowledgements applied", func() bool {
		i, err := cons.Info(ctxT(t))
		return err == nil && i.AckFloor.Consumer >= 2
	})
	staysZero(t, other, "sn-pj-dakar's inbox and roster subscriptions")
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) != 0 {
		t.Fatalf("gh-ag's %d requests were refused: %v", sent, c.errs)
	}
}

// TestForgedAccountInformationIsIgnored: a member that writes the header in
// which the server names the publisher's account, in any spelling, claiming
// another member's account, is still stamped as itself.
func TestForgedAccountInformationIsIgnored(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	c := n.connect(t, gh)
	m := nats.NewMsg(protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead))
	m.Data = []byte("sealed lead")
	m.Header.Set(jetstream.MsgIDHeader, protocol.PublishID(protocol.NewMessageID(time.Now()), sn))
	forged := `{"acc":"` + memberAccount(sn) + `"}`
	m.Header[server.ClientInfoHdr] = []string{forged, forged}
	m.Header["nats-request-info"] = []string{forged}
	if _, err := c.js.PublishMsg(ctxT(t), m); err != nil {
		t.Fatalf("publication with a forged account: %v", err)
	}
	got := fetchInbox(t, n.connect(t, sn), sn, 1)
	if p := got[0].Headers().Get(protocol.PublisherHeader); p != gh {
		t.Fatalf("stamped publisher %q, want %s", p, gh)
	}
}

// TestIngestChecksTheAccountAgainstTheSubject: the ingest takes a
// publication only when the server named a member's account and that
// member is the agency the subject names; anything else is refused and
// logged with the agency of the account. Members cannot produce either
// case (their accounts import only their own ingest subjects), so the
// ingest is called directly.
func TestIngestChecksTheAccountAgainstTheSubject(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	// closed: a publication that got past the checks would wait for no
	// answer.
	g := &ingest{network: testNetwork, log: slog.New(slog.NewTextHandler(&logs, nil)), now: time.Now, quotas: newQuotas(config.DefaultMemberLimits(), 0, 1<<20, slog.New(slog.DiscardHandler)), closed: true}
	g.setMembers(map[string]bool{gh: true, sn: true})
	subject := protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead)
	for _, tc := range []struct {
		name   string
		header nats.Header
		want   []string
	}{
		{"another member's account", nats.Header{server.ClientInfoHdr: {`{"acc":"` + memberAccount(sn) + `"}`}},
			[]string{"its subject names another agency than the account it came from", "member=" + sn, "subject_agency=" + gh}},
		{"no account information", nil, []string{"did not say which member's account", "member=" + gh}},
		{"the hub's account", nats.Header{server.ClientInfoHdr: {`{"acc":"HUB"}`}}, []string{"did not say which member's account", `\"HUB\" is not a member's`}},
		{"two accounts", nats.Header{server.ClientInfoHdr: {`{"acc":"` + memberAccount(gh) + `"}`, `{"acc":"` + memberAccount(gh) + `"}`}}, []string{"more than one account information header"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.refused = refusalLog{}
			before := logs.String()
			g.take(&nats.Msg{Subject: subject, Reply: responsePrefix + "x", Header: tc.header, Data: []byte("sealed lead")})
			logged := strings.TrimPrefix(logs.String(), before)
			if !containsAll(logged, append([]string{"publication refused"}, tc.want...)) {
				t.Fatalf("logged %q, want %q", logged, tc.want)
			}
		})
	}
}

func FuzzRequesterAgency(f *testing.F) {
	f.Add(`{"acc":"M_gh-ag","rtt":12345}`)
	f.Add(`{"acc":"HUB"}`)
	f.Add(`{"acc":"M_"}`)
	f.Add(`{"acc":"M_Gh"}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, v string) {
		agency, err := requesterAgency(nats.Header{server.ClientInfoHdr: {v}})
		if err != nil {
			return
		}
		if protocol.ValidateID("agency", agency) != nil {
			t.Fatalf("%q gave agency %q", v, agency)
		}
		// The server's own type, where it reads v, reads the same account.
		var ci server.ClientInfo
		if json.Unmarshal([]byte(v), &ci) == nil && ci.Account != memberAccount(agency) {
			t.Fatalf("%q gave agency %q, the server reads account %q", v, agency, ci.Account)
		}
	})
}

// connAccount is the account of agency's connections to the hub, "" when
// it has none.
func connAccount(t *testing.T, n *testNet, agency string) string {
	t.Helper()
	cz, err := n.hub.srv.Connz(&server.ConnzOptions{User: mustUsers(t, n.dir).Agencies[agency], Username: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(cz.Conns) == 0 {
		return ""
	}
	return cz.Conns[0].Account
}

// ingestInterest says whether agency's account has anything listening on
// agency's ingest subject to sn-pj-dakar: the import of its own ingest
// subjects from the hub account.
func ingestInterest(t *testing.T, n *testNet, account, agency string) bool {
	t.Helper()
	acc, err := n.hub.srv.LookupAccount(account)
	if err != nil {
		t.Fatalf("the account %s: %v", account, err)
	}
	return acc.Interest(protocol.IngestSubject(testNetwork, agency, sn, protocol.TypeLead)) > 0
}

// TestMemberAccountsFollowTheRoster: a member admitted on a running hub
// gets an account of its own and exchanges messages at once; revoked, it is
// disconnected, its account no longer reaches the ingest, and its
// credentials still read the roster from that account. The admin user is
// in an account of its own too.
func TestMemberAccountsFollowTheRoster(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	runHub(t, n)
	n.add(t, ml)
	poll.Until(t, 10*time.Second, "the hub to admit "+ml, func() bool { return n.hub.Roster().Roster.Member(ml) != nil })
	mlNode := n.connectLikeNode(t, ml)
	js, err := jetstream.New(mlNode.nc)
	if err != nil {
		t.Fatal(err)
	}
	mlConn := &agencyConn{nc: mlNode.nc, js: js}
	s := n.connect(t, sn)
	for agency, want := range map[string]string{ml: "M_ml-mj", sn: "M_sn-pj-dakar"} {
		if got := connAccount(t, n, agency); got != want {
			t.Fatalf("%s's connection is in account %q, want %q", agency, got, want)
		}
	}
	n.connectAdmin(t)
	cz, err := n.hub.srv.Connz(&server.ConnzOptions{User: mustUsers(t, n.dir).Admin, Username: true})
	if err != nil || len(cz.Conns) != 1 || cz.Conns[0].Account != adminAccount {
		t.Fatalf("the admin's connection: %+v, %v; want it in account %s", cz, err, adminAccount)
	}
	// The new member sends and receives.
	if _, err := mlConn.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, ml, sn, protocol.TypeLead), []byte("from ml"),
		jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), sn))); err != nil {
		t.Fatalf("%s publishes: %v", ml, err)
	}
	if got := fetchInbox(t, s, sn, 1); string(got[0].Data()) != "from ml" || got[0].Headers().Get(protocol.PublisherHeader) != ml {
		t.Fatalf("%s received %q from %q", sn, got[0].Data(), got[0].Headers().Get(protocol.PublisherHeader))
	}
	if _, err := s.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, sn, ml, protocol.TypeLead), []byte("to ml"),
		jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), ml))); err != nil {
		t.Fatal(err)
	}
	if got := fetchInbox(t, mlConn, ml, 1); string(got[0].Data()) != "to ml" {
		t.Fatalf("%s received %q", ml, got[0].Data())
	}
	if !ingestInterest(t, n, memberAccount(ml), ml) {
		t.Fatalf("%s's account does not reach the ingest", ml)
	}

	// Revoked: disconnected, and back in its reader account, which does
	// not reach the ingest; the roster still readable.
	sec, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sec.Revoke(ml, time.Now())
	sec.Close()
	if err != nil {
		t.Fatal(err)
	}
	reconnected := make(chan struct{}, 1)
	mlNode.nc.SetReconnectHandler(func(*nats.Conn) { reconnected <- struct{}{} })
	select {
	case <-reconnected:
	case <-time.After(30 * time.Second):
		t.Fatalf("the hub did not disconnect %s, or it did not reconnect", ml)
	}
	if got := connAccount(t, n, ml); got != readerAccount(ml) {
		t.Fatalf("revoked %s reconnected in account %q, want %q", ml, got, readerAccount(ml))
	}
	if ingestInterest(t, n, readerAccount(ml), ml) {
		t.Fatalf("revoked %s's account reaches the ingest", ml)
	}
	mlNode.nc.SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		mlConn.mu.Lock()
		mlConn.errs = append(mlConn.errs, err)
		mlConn.mu.Unlock()
	})
	n.readsRosterOnly(t, mlConn, ml)
}

// TestHubOpensTheStoreOfAMembersAccountHub opens a hub directory written by
// the hub that kept every member in one account (testdata, made at commit
// c576e4e: gh-ag sent three messages to sn-pj-dakar, which took them, and
// sn-pj-dakar two to gh-ag, still pending): the streams are where they
// were, every message is there, and the members exchange at once.
func TestHubOpensTheStoreOfAMembersAccountHub(t *testing.T) {
	t.Parallel()
	n := &testNet{dir: t.TempDir(), creds: map[string]string{}, logs: &logBuffer{}}
	untar(t, filepath.Join("testdata", "hub-members-account.tar.gz"), n.dir)
	for _, a := range []string{gh, sn} {
		n.creds[a] = filepath.Join(n.dir, CredsDir, a+".creds")
	}
	n.start(t)
	if got := streamMsgs(t, n); got != 5 {
		t.Fatalf("the stream holds %d messages, want 5", got)
	}
	c, s := n.connect(t, gh), n.connect(t, sn)
	got := fetchInbox(t, c, gh, 2)
	if string(got[0].Data()) != "x" || string(got[1].Data()) != "y" || got[0].Headers().Get(protocol.PublisherHeader) != sn {
		t.Fatalf("gh-ag's pending messages: %q, %q from %q", got[0].Data(), got[1].Data(), got[0].Headers().Get(protocol.PublisherHeader))
	}
	if _, err := c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), []byte("after"),
		jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), sn))); err != nil {
		t.Fatal(err)
	}
	if got := fetchInbox(t, s, sn, 1); string(got[0].Data()) != "after" {
		t.Fatalf("sn-pj-dakar received %q, want only the new message", got[0].Data())
	}
}

// untar unpacks the gzipped tar archive at path into dir.
func untar(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(io.LimitReader(zr, 1<<20))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.Clean(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(dst, 0o700)
		case tar.TypeReg:
			var b bytes.Buffer
			if _, err = io.Copy(&b, tr); err == nil {
				err = os.WriteFile(dst, b.Bytes(), os.FileMode(h.Mode).Perm())
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestHundredMemberAccounts: a hub with a hundred member accounts starts,
// admits one more at run time, and its members exchange messages.
func TestHundredMemberAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("a hundred members")
	}
	t.Parallel()
	var agencies []string
	for i := range 100 {
		agencies = append(agencies, fmt.Sprintf("ag-%03d", i))
	}
	start := time.Now()
	n := newTestNet(t, agencies...)
	t.Logf("101 members admitted and the hub started in %s", time.Since(start))
	n.add(t, ml)
	start = time.Now()
	if err := n.hub.Reload(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	t.Logf("a member admitted at run time in %s", time.Since(start))
	first, last, added := n.connect(t, agencies[0]), n.connect(t, agencies[99]), n.connect(t, ml)
	for _, p := range []struct {
		from *agencyConn
		a, b string
		to   *agencyConn
	}{{first, agencies[0], agencies[99], last}, {last, agencies[99], ml, added}, {added, ml, agencies[0], first}} {
		if _, err := p.from.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, p.a, p.b, protocol.TypeLead), []byte(p.a),
			jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), p.b))); err != nil {
			t.Fatalf("%s publishes: %v", p.a, err)
		}
		if got := fetchInbox(t, p.to, p.b, 1); got[0].Headers().Get(protocol.PublisherHeader) != p.a {
			t.Fatalf("%s received a message stamped %q, want %s", p.b, got[0].Headers().Get(protocol.PublisherHeader), p.a)
		}
	}
}
