package hub

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The tests of this file hold the parts of the ingest that mutation testing
// (make mutants) found unheld: the refunds of the quotas, the log of sync
// failures and of refusals, publications without a reply subject, and
// closing.

// newDebugNet is newTestNet with the hub logging at debug level into
// n.logs (and not into the test's log: the server is verbose at debug).
func newDebugNet(t *testing.T, agencies ...string) *testNet {
	t.Helper()
	n := &testNet{dir: t.TempDir(), creds: map[string]string{}, ids: map[string]*identity.Identity{}, now: time.Now().Add(-time.Minute),
		certs: map[string][2]string{}, logs: &logBuffer{}}
	res, err := Init(n.dir, InitOptions{Network: testNetwork, Country: "SN", Kind: protocol.KindClassic, Listen: "127.0.0.1:0", Now: n.now})
	if err != nil {
		t.Fatal(err)
	}
	n.creds[res.Card.Agency] = res.AgencyCreds
	for _, a := range agencies {
		n.add(t, a)
	}
	log := slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := Open(context.Background(), n.dir, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	n.hub = h
	t.Cleanup(func() { h.Close() })
	return n
}

// logLines counts the lines of log whose message is msg.
func logLines(log, msg string) int {
	k := 0
	for line := range strings.SplitSeq(log, "\n") {
		if strings.Contains(line, "msg=\""+msg+"\"") {
			k++
		}
	}
	return k
}

// TestIngestRefundsWhatItDidNotStore: the quotas charge a member for what
// the stream holds of it. A duplicate and a publication the stream refuses
// are given back; a publication refused before the quotas (for a recipient
// that is not a member) was never charged and is not given back.
func TestIngestRefundsWhatItDidNotStore(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	gh := n.connect(t, "gh-ag")
	in := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead)
	stored := func(what string, wantMsgs, wantBytes int64) {
		t.Helper()
		if msgs, b := n.hub.quotas.stored("gh-ag"); msgs != wantMsgs || b != wantBytes {
			t.Fatalf("after %s: gh-ag is charged %d messages, %d bytes; want %d, %d", what, msgs, b, wantMsgs, wantBytes)
		}
	}

	body := []byte("sealed lead, 27 bytes long.")
	if ack, err := gh.js.Publish(ctx, in, body, jetstream.WithMsgID(testID("first", "sn-pj-dakar"))); err != nil || ack.Duplicate {
		t.Fatalf("first publication: %+v, %v", ack, err)
	}
	stored("a stored publication", 1, int64(len(body)))

	if ack, err := gh.js.Publish(ctx, in, body, jetstream.WithMsgID(testID("first", "sn-pj-dakar"))); err != nil || !ack.Duplicate {
		t.Fatalf("republication: %+v, %v; want a duplicate", ack, err)
	}
	stored("a duplicate", 1, int64(len(body)))

	_, err := gh.js.Publish(ctx, in, []byte("refused by the stream"), jetstream.WithMsgID(testID("wrong-stream", "sn-pj-dakar")), jetstream.WithExpectStream("nope"))
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 400 {
		t.Fatalf("publish expecting stream nope: %v, want the stream's API error", err)
	}
	stored("a publication the stream refused", 1, int64(len(body)))

	out := protocol.IngestSubject(testNetwork, "gh-ag", "zz-nobody", protocol.TypeLead)
	_, err = gh.js.Publish(ctx, out, []byte("to no member"), jetstream.WithMsgID(testID("nobody", "zz-nobody")))
	if !errors.As(err, &apiErr) || apiErr.Code != protocol.HubRefusedCode {
		t.Fatalf("publish to a non-member: %v, want the hub's refusal", err)
	}
	stored("a publication to a non-member", 1, int64(len(body)))
}

// TestIngestLogsASyncFailureOnce: a sync failure is logged once, however
// many groups it refuses, and a successful sync logs nothing.
func TestIngestLogsASyncFailureOnce(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	gh := n.connect(t, "gh-ag")
	dir := n.hub.ingest.syncer.dir
	const msg = "cannot sync the messages stream: publications are refused until it can"
	in := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead)

	if _, err := gh.js.Publish(ctx, in, []byte("synced"), jetstream.WithMsgID(testID("synced", "sn-pj-dakar"))); err != nil {
		t.Fatal(err)
	}
	if k := logLines(n.logs.String(), msg); k != 0 {
		t.Fatalf("a successful sync logged %d sync failures", k)
	}
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"unsynced 1", "unsynced 2", "unsynced 3"} {
		// One at a time: each publication is a group of its own, synced
		// (and failing) on its own.
		if _, err := gh.js.Publish(ctx, in, []byte(name), jetstream.WithMsgID(testID(name, "sn-pj-dakar"))); err == nil {
			t.Fatalf("publication %q answered although the sync fails", name)
		}
	}
	if err := os.Rename(dir+".away", dir); err != nil {
		t.Fatal(err)
	}
	if k := logLines(n.logs.String(), msg); k != 1 {
		t.Fatalf("three failures of the same sync logged %d times, want once:\n%s", k, n.logs.String())
	}
	if _, err := gh.js.Publish(ctx, in, []byte("synced again"), jetstream.WithMsgID(testID("synced again", "sn-pj-dakar"))); err != nil {
		t.Fatal(err)
	}
	if k := logLines(n.logs.String(), msg); k != 1 {
		t.Fatalf("after the sync works again: %d sync failures logged, want 1", k)
	}
}

// TestIngestStoresAPublicationWithoutReply: a member may publish without
// asking for an answer; the ingest stores the message all the same.
func TestIngestStoresAPublicationWithoutReply(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	gh := n.connect(t, "gh-ag")
	m := nats.NewMsg(protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead))
	m.Data = []byte("sealed, no answer wanted")
	m.Header.Set(jetstream.MsgIDHeader, testID("no-reply", "sn-pj-dakar"))
	if err := gh.nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the message published without a reply subject in the stream", func() bool {
		return streamMsgs(t, n) == 1
	})
	if msgs, _ := n.hub.quotas.stored("gh-ag"); msgs != 1 {
		t.Fatalf("gh-ag charged %d messages, want 1", msgs)
	}
	if strings.Contains(n.logs.String(), "publication refused") {
		t.Fatalf("the publication without a reply subject was refused:\n%s", n.logs.String())
	}
}

// TestIngestQuietWhenAllIsWell: answering a publication and closing the
// ingest log nothing, even at debug level, when they succeed; closing
// removes the ingest's subscription.
func TestIngestQuietWhenAllIsWell(t *testing.T) {
	t.Parallel()
	n := newDebugNet(t, "gh-ag", "sn-pj-dakar")
	gh := n.connect(t, "gh-ag")
	in := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead)
	if _, err := gh.js.Publish(ctxT(t), in, []byte("sealed"), jetstream.WithMsgID(testID("answered", "sn-pj-dakar"))); err != nil {
		t.Fatal(err)
	}
	g := n.hub.ingest
	g.close()
	if g.sub.IsValid() {
		t.Fatal("the ingest's subscription is still valid after close")
	}
	log := n.logs.String()
	for _, msg := range []string{"answer a publication", "unsubscribe ingest"} {
		if k := logLines(log, msg); k != 0 {
			t.Errorf("%d lines %q logged, want none", k, msg)
		}
	}
	if !strings.Contains(log, "level=DEBUG") {
		t.Fatal("nothing logged at debug level: the test's logger does not log what it looks for")
	}
}

// TestRefusalLogCountsTheUnlogged: one line per member and minute; the
// next says how many refusals were not logged, and only when some were not.
func TestRefusalLogCountsTheUnlogged(t *testing.T) {
	var b bytes.Buffer
	l := slog.New(slog.NewTextHandler(&b, nil))
	var r refusalLog
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		want string // the line logged, "" for none
	}{
		{0, `msg=refused member=gh-ag n=0`},
		{time.Second, ""},
		{59 * time.Second, ""},
		{61 * time.Second, `msg=refused member=gh-ag n=3 refused_unlogged=2`},
		{122 * time.Second, `msg=refused member=gh-ag n=4`},
	}
	for i, s := range steps {
		b.Reset()
		r.log(l, t0.Add(s.at), "gh-ag", "refused", "n", i)
		got := strings.TrimSpace(b.String())
		if _, after, ok := strings.Cut(got, " level=WARN "); ok {
			got = after
		}
		if got != s.want {
			t.Errorf("refusal %d at +%v logged %q, want %q", i, s.at, got, s.want)
		}
	}
}
