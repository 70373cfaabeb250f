package hub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// streamMsgs is the number of messages in the network's messages stream.
func streamMsgs(t *testing.T, n *testNet) uint64 {
	t.Helper()
	st, err := n.hub.js.Stream(ctxT(t), protocol.StreamName(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().State.Msgs
}

// fetchInbox fetches want messages from agency's inbox consumer and acks
// them.
func fetchInbox(t *testing.T, c *agencyConn, agency string, want int) []jetstream.Msg {
	t.Helper()
	ctx := ctxT(t)
	cons, err := c.js.Consumer(ctx, protocol.StreamName(testNetwork), protocol.ConsumerName(agency))
	if err != nil {
		t.Fatalf("bind the consumer of %s: %v", agency, err)
	}
	batch, err := cons.Fetch(want, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []jetstream.Msg
	for m := range batch.Messages() {
		got = append(got, m)
	}
	if len(got) != want {
		t.Fatalf("fetched %d messages for %s, want %d (%v)", len(got), agency, want, batch.Error())
	}
	for _, m := range got {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatalf("ack: %v", err)
		}
	}
	return got
}

func TestIngestStoresUnderMessageSubject(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	gh, sn := n.connect(t, "gh-ag"), n.connect(t, "sn-pj-dakar")

	in := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead)
	id := protocol.PublishID(protocol.NewMessageID(time.Now()), "sn-pj-dakar")
	ack, err := gh.js.Publish(ctx, in, []byte("sealed lead"), jetstream.WithMsgID(id))
	if err != nil {
		t.Fatalf("publish on the ingest subject: %v", err)
	}
	if ack.Stream != protocol.StreamName(testNetwork) || ack.Sequence == 0 || ack.Duplicate {
		t.Fatalf("ack %+v, want a new message in stream %s", ack, protocol.StreamName(testNetwork))
	}
	again, err := gh.js.Publish(ctx, in, []byte("sealed lead"), jetstream.WithMsgID(id))
	if err != nil {
		t.Fatalf("republish: %v", err)
	}
	if !again.Duplicate || again.Sequence != ack.Sequence || again.Stream != ack.Stream {
		t.Fatalf("republish answered %+v, want the duplicate of sequence %d", again, ack.Sequence)
	}
	if got := streamMsgs(t, n); got != 1 {
		t.Fatalf("stream holds %d messages, want 1", got)
	}

	m := fetchInbox(t, sn, "sn-pj-dakar", 1)[0]
	want := protocol.MessageSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead)
	if m.Subject() != want || string(m.Data()) != "sealed lead" {
		t.Fatalf("stored %q under %s, want %q under %s", m.Data(), m.Subject(), "sealed lead", want)
	}
	meta, err := m.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if meta.Sequence.Stream != ack.Sequence {
		t.Fatalf("stored at sequence %d, acknowledged %d", meta.Sequence.Stream, ack.Sequence)
	}
}

func TestIngestKeepsOnlyAllowedHeaders(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	gh, sn := n.connect(t, "gh-ag"), n.connect(t, "sn-pj-dakar")

	id := protocol.PublishID(protocol.NewMessageID(time.Now()), "sn-pj-dakar")
	dropped := map[string]string{
		"Nats-TTL":                    "1s",
		"Nats-Rollup":                 "sub",
		"Nats-Expected-Last-Sequence": "999",
		"X-Spoof":                     "from sn-pj-dakar",
	}
	// A forged publisher header is overwritten with the authenticated one.
	msg0 := protocol.PublisherHeader
	msg := &nats.Msg{Subject: protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead), Data: []byte("sealed"), Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, id)
	for k, v := range dropped {
		msg.Header.Set(k, v)
	}
	msg.Header.Set(msg0, "sn-pj-dakar")
	// The stream allows neither TTLs nor rollups, and its last sequence is
	// not 999: had any of these headers reached it, it would refuse.
	ack, err := gh.js.PublishMsg(ctxT(t), msg)
	if err != nil {
		t.Fatalf("publish with extra headers: %v", err)
	}
	if ack.Duplicate || ack.Sequence != 1 {
		t.Fatalf("ack %+v, want the first message", ack)
	}

	m := fetchInbox(t, sn, "sn-pj-dakar", 1)[0]
	h := m.Headers()
	// The de-duplication id is scoped to the publisher.
	if got, want := h.Get(jetstream.MsgIDHeader), "gh-ag/"+id; got != want {
		t.Errorf("stored Nats-Msg-Id %q, want %q", got, want)
	}
	if got := h.Values(protocol.PublisherHeader); len(got) != 1 || got[0] != "gh-ag" {
		t.Errorf("stored %s %q, want the authenticated publisher gh-ag only", protocol.PublisherHeader, got)
	}
	for k := range dropped {
		if v, ok := h[k]; ok {
			t.Errorf("stored message kept header %s: %q", k, v)
		}
	}
}

func TestIngestRefusesWrongExpectedStream(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	gh := n.connect(t, "gh-ag")

	in := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead)
	_, err := gh.js.Publish(ctxT(t), in, []byte("sealed"), jetstream.WithMsgID(testID("wrong-stream", "sn-pj-dakar")), jetstream.WithExpectStream("nope"))
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("publish expecting stream nope: %v (%T), want an API error", err, err)
	}
	want := server.NewJSStreamNotMatchError()
	if apiErr.Code != want.Code || uint16(apiErr.ErrorCode) != want.ErrCode {
		t.Fatalf("API error %+v, want the stream's %+v", apiErr, want)
	}
	if got := streamMsgs(t, n); got != 0 {
		t.Fatalf("stream holds %d messages, want 0", got)
	}
	// The right stream name is accepted.
	if _, err := gh.js.Publish(ctxT(t), in, []byte("sealed"), jetstream.WithMsgID(testID("right-stream", "sn-pj-dakar")), jetstream.WithExpectStream(protocol.StreamName(testNetwork))); err != nil {
		t.Fatalf("publish expecting the messages stream: %v", err)
	}
}

// TestIngestSyncFailureRefusesAndLosesNothing makes the sync fail for real:
// the stream's block directory is moved away while the server keeps writing
// to its open block file, so the syncer cannot list it. Changing the
// syncer's fields instead would race with the answer goroutine: its answer
// reaches the test through the server's writev, which the race detector
// does not see as synchronization.
func TestIngestSyncFailureRefusesAndLosesNothing(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	gh := n.connect(t, "gh-ag")
	s := n.hub.ingest.syncer
	if s == nil {
		t.Fatal("a hub with sync always has no block syncer")
	}
	dir := s.dir // set before the answer goroutine started, never changed

	in := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead)
	if ack, err := gh.js.Publish(ctx, in, []byte("first"), jetstream.WithMsgID(testID("first", "sn-pj-dakar"))); err != nil || ack.Sequence != 1 {
		t.Fatalf("first publication: %+v, %v", ack, err)
	}
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	_, err := gh.js.Publish(ctx, in, []byte("unsynced"), jetstream.WithMsgID(testID("unsynced", "sn-pj-dakar")))
	if err := os.Rename(dir+".away", dir); err != nil {
		t.Fatal(err)
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("publish with a failing sync: %v (%T), want an API error", err, err)
	}
	if apiErr.Code != 503 || !strings.Contains(apiErr.Description, "sync the messages stream") {
		t.Fatalf("API error %+v, want 503 ... sync the messages stream", apiErr)
	}
	if got := streamMsgs(t, n); got != 2 {
		t.Fatalf("stream holds %d messages, want 2: the refused one is stored", got)
	}

	ack, err := gh.js.Publish(ctx, in, []byte("unsynced"), jetstream.WithMsgID(testID("unsynced", "sn-pj-dakar")))
	if err != nil {
		t.Fatalf("republish once the sync works: %v", err)
	}
	if !ack.Duplicate || ack.Sequence != 2 {
		t.Fatalf("republish answered %+v, want the duplicate of sequence 2", ack)
	}
	ack, err = gh.js.Publish(ctx, in, []byte("next"), jetstream.WithMsgID(testID("next", "sn-pj-dakar")))
	if err != nil || ack.Duplicate || ack.Sequence != 3 {
		t.Fatalf("next publication: %+v, %v; want sequence 3", ack, err)
	}
}

func TestIngestSyncsTheBlockHoldingTheMessage(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	gh := n.connect(t, "gh-ag")
	s := n.hub.ingest.syncer
	if s == nil {
		t.Fatal("a hub with sync always has no block syncer")
	}
	// s.dir is set before the answer goroutine starts and never changes.
	if rel, err := filepath.Rel(n.hub.cfg.StoreDir, s.dir); err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("syncer dir %s is outside the store %s", s.dir, n.hub.cfg.StoreDir)
	}

	payload := []byte("distinctive-payload-" + strconv.FormatInt(time.Now().UnixNano(), 36))
	in := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead)
	if _, err := gh.js.Publish(ctxT(t), in, payload, jetstream.WithMsgID(testID("distinct", "sn-pj-dakar"))); err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(s.dir, "*.blk"))
	if err != nil {
		t.Fatal(err)
	}
	newest, newestPath := -1, ""
	for _, p := range paths {
		i, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(p), ".blk"))
		if err == nil && i > newest {
			newest, newestPath = i, p
		}
	}
	if newestPath == "" {
		t.Fatalf("no block file in %s", s.dir)
	}
	data, err := os.ReadFile(newestPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, payload) {
		t.Fatalf("newest block %s (%d bytes) does not hold the acknowledged payload", newestPath, len(data))
	}
	// Closing the hub waits for the answer goroutine: the syncer's state
	// can then be read without a race. Its last sync reached the block.
	n.hub.Close()
	if s.from != newest {
		t.Fatalf("syncer synced up to block %d, want %d", s.from, newest)
	}
}

func TestIngestAnswersConcurrentPublications(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	const writers, each = 8, 50
	pairs := [2][2]string{{"gh-ag", "sn-pj-dakar"}, {"sn-pj-dakar", "gh-ag"}}
	conns := make([]*agencyConn, writers)
	for w := range conns {
		conns[w] = n.connect(t, pairs[w%2][0])
	}

	acks := make([][]*jetstream.PubAck, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acks[w], errs[w] = publishBurst(c, pairs[w%2][0], pairs[w%2][1], w, each)
		}()
	}
	wg.Wait()

	seqs := map[uint64]string{}
	for w := range writers {
		if errs[w] != nil {
			t.Fatalf("writer %d: %v", w, errs[w])
		}
		for i, ack := range acks[w] {
			if ack.Stream != protocol.StreamName(testNetwork) || ack.Duplicate || ack.Sequence == 0 {
				t.Fatalf("writer %d publication %d: ack %+v", w, i, ack)
			}
			if prev, ok := seqs[ack.Sequence]; ok {
				t.Fatalf("sequence %d acknowledged to %s and %d-%d", ack.Sequence, prev, w, i)
			}
			seqs[ack.Sequence] = fmt.Sprintf("%d-%d", w, i)
		}
	}
	if len(seqs) != writers*each {
		t.Fatalf("%d distinct sequences, want %d", len(seqs), writers*each)
	}
	if got := streamMsgs(t, n); got != writers*each {
		t.Fatalf("stream holds %d messages, want %d", got, writers*each)
	}
}

// publishBurst publishes count messages asynchronously through ingest and
// returns their acknowledgements in order.
func publishBurst(c *agencyConn, from, to string, w, count int) ([]*jetstream.PubAck, error) {
	in := protocol.IngestSubject(testNetwork, from, to, protocol.TypeLead)
	futs := make([]jetstream.PubAckFuture, 0, count)
	for i := range count {
		f, err := c.js.PublishAsync(in, fmt.Appendf(nil, "burst %d-%d", w, i), jetstream.WithMsgID(testID(fmt.Sprintf("burst-%d-%d", w, i), to)))
		if err != nil {
			return nil, fmt.Errorf("publish %d: %w", i, err)
		}
		futs = append(futs, f)
	}
	select {
	case <-c.js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("%d publications still unanswered", c.js.PublishAsyncPending())
	}
	acks := make([]*jetstream.PubAck, 0, count)
	for i, f := range futs {
		select {
		case ack := <-f.Ok():
			acks = append(acks, ack)
		case err := <-f.Err():
			return nil, fmt.Errorf("publication %d: %w", i, err)
		}
	}
	return acks, nil
}

func TestIngestWithSyncIntervalAnswersWithoutSyncer(t *testing.T) {
	t.Parallel()
	n := &testNet{dir: t.TempDir(), creds: map[string]string{}, ids: map[string]*identity.Identity{}, now: time.Now().Add(-time.Minute), certs: map[string][2]string{}}
	res, err := Init(n.dir, InitOptions{Network: testNetwork, Country: "SN", Kind: protocol.KindClassic, Listen: "127.0.0.1:0", Sync: "2m", Now: n.now})
	if err != nil {
		t.Fatal(err)
	}
	n.creds[res.Card.Agency] = res.AgencyCreds
	n.add(t, "gh-ag")
	n.add(t, "sn-pj-dakar")
	n.start(t)
	if n.hub.cfg.SyncInterval() != 2*time.Minute || n.hub.ingest.syncer != nil {
		t.Fatalf("sync %q: ingest syncer %v, want none", n.hub.cfg.Sync, n.hub.ingest.syncer)
	}
	gh, sn := n.connect(t, "gh-ag"), n.connect(t, "sn-pj-dakar")
	ack, err := gh.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead), []byte("sealed"), jetstream.WithMsgID(testID("interval", "sn-pj-dakar")))
	if err != nil || ack.Sequence != 1 || ack.Stream != protocol.StreamName(testNetwork) {
		t.Fatalf("publish: %+v, %v; want sequence 1", ack, err)
	}
	if m := fetchInbox(t, sn, "sn-pj-dakar", 1)[0]; string(m.Data()) != "sealed" {
		t.Fatalf("stored %q", m.Data())
	}
}

// testID is the Nats-Msg-Id of a test publication named name to
// recipient to, in a node's form (message id:recipient): the same for the
// same name.
func testID(name, to string) string {
	h := sha256.Sum256([]byte(name))
	x := hex.EncodeToString(h[:16])
	return protocol.PublishID(x[0:8]+"-"+x[8:12]+"-7"+x[13:16]+"-8"+x[17:20]+"-"+x[20:32], to)
}
