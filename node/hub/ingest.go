package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casenode/casenode/node/batch"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Ingest sizes.
const (
	// maxIngestGroup bounds the publications answered after one sync.
	maxIngestGroup = 4096
	// ingestPending bounds the publications stored and waiting for their
	// group's sync; the subscription stops reading beyond it.
	ingestPending = 8192
	// ingestTimeout bounds how long a publication waits for the stream.
	// It is shorter than a node's publish timeout (resend_timeout,
	// 30 s by default), so that the node hears of a publication the
	// stream did not take, and of the later ones the ingest then refuses
	// (ingestorder.go), before it gives up on them itself.
	ingestTimeout = 10 * time.Second
)

// ingest takes the nodes' publications on casenet.NET.in.FROM.TO.TYPE,
// stores each in the messages stream under casenet.NET.msg.FROM.TO.TYPE,
// and answers the node with the stream's acknowledgement only once the
// message is on disk. With sync "always" the stream itself does not sync
// (one fsync per message, serially, is what bounded the hub); ingest syncs
// its block files instead, once per group: every publication the stream
// acknowledged while the previous group was being synced shares the next
// sync. With a sync interval it answers as soon as the stream has stored
// the message, as JetStream would.
//
// The publisher is the agency of the NATS account the publication came
// from (the server stamps it: requesterAgency), and the server's
// permissions let an agency publish only on its own ingest subjects, so the
// FROM token must name the same agency; a publication where they differ is
// refused and logged. The ingest stamps the publisher on the stored message
// (protocol.PublisherHeader), scopes the de-duplication id to it, charges
// it to that agency's limits, and answers only inside that agency's own
// reply space. Nothing else a member sends is trusted.
type ingest struct {
	network string
	log     *slog.Logger
	nc      *nats.Conn // reads publications, stores them
	answers *nats.Conn // answers, into the members' reply spaces only
	js      jetstream.JetStream
	syncer  *blockSyncer // nil: answer without syncing
	quotas  *quotas
	members atomic.Pointer[map[string]bool] // the active members
	// server is this server's name in a cluster, empty when the hub runs
	// alone: the ingest takes only the publications of clients connected
	// to this server.
	server  string
	refused refusalLog    // on the subscription's goroutine only
	counts  *memberCounts // refusals and last publication per member (refusals.go)
	now     func() time.Time
	sub     *nats.Subscription
	queue   chan *ingested // answered by the stream, to be answered to the node
	slots   chan struct{}  // one per publication taken and not yet answered
	stop    chan struct{}  // closed by close
	done    chan struct{}
	runners sync.WaitGroup // the pairs storing (ingestorder.go)

	mu      sync.Mutex // guards closed, sending on queue, pairs and fences
	closed  bool
	pairs   map[pairKey]*pairQueue
	fences  map[fenceKey]fence
	swept   time.Time // when fences last lost their expired entries
	syncErr error     // the last sync failure, for the log
}

// ingested is one publication on its way to its answer.
type ingested struct {
	reply     string
	publisher string
	size      int64
	at        time.Time
	charged   bool // admitted by the quotas: refunded unless stored
	pair      pairKey
	conn      string    // the publisher's connection (requesterConn)
	msgID     string    // the message id of its Nats-Msg-Id
	out       *nats.Msg // what goes into the stream; nil when refused
	fut       jetstream.PubAckFuture
	ack       *jetstream.PubAck
	err       error
}

// startIngest subscribes to the network's ingest subjects on nc, the
// ingest's own connection, and answers on answers. syncer is nil when the
// hub syncs at an interval. members are the active members, refreshed with
// setMembers at each roster change. counts are the hub's refusals.
func startIngest(nc, answers *nats.Conn, network string, syncer *blockSyncer, q *quotas, counts *memberCounts, members map[string]bool, log *slog.Logger) (*ingest, error) {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(ingestPending), jetstream.WithPublishAsyncTimeout(ingestTimeout))
	if err != nil {
		return nil, err
	}
	g := &ingest{network: network, log: log, nc: nc, answers: answers, js: js, syncer: syncer, quotas: q, now: time.Now, counts: counts,
		queue: make(chan *ingested, ingestPending), slots: make(chan struct{}, ingestPending), stop: make(chan struct{}), done: make(chan struct{}),
		pairs: map[pairKey]*pairQueue{}, fences: map[fenceKey]fence{}}
	g.setMembers(members)
	go g.answer()
	if g.sub, err = nc.Subscribe(protocol.IngestFilter(network), g.take); err != nil {
		g.close()
		return nil, fmt.Errorf("subscribe to %s: %w", protocol.IngestFilter(network), err)
	}
	// Nodes bound what they have in flight; the default limit of the
	// subscription would drop a burst of large messages from many nodes.
	if err := g.sub.SetPendingLimits(4*ingestPending, 1<<30); err != nil {
		g.close()
		return nil, err
	}
	if err := nc.Flush(); err != nil {
		g.close()
		return nil, fmt.Errorf("subscribe to %s: %w", protocol.IngestFilter(network), err)
	}
	return g, nil
}

// setMembers replaces the set of active members: the recipients the
// ingest takes publications for.
func (g *ingest) setMembers(members map[string]bool) { g.members.Store(&members) }

// ingestParts splits casenet.NET.in.FROM.TO.TYPE and checks that FROM and
// TO are agency ids.
func ingestParts(network, subject string) (from, to string, ok bool) {
	rest, ok := strings.CutPrefix(subject, "casenet."+network+".in.")
	if !ok {
		return "", "", false
	}
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) != 3 || protocol.ValidateID("agency", parts[0]) != nil || protocol.ValidateID("agency", parts[1]) != nil {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// publisherToken is the FROM token of an ingest subject, for the log of a
// subject the ingest refuses; the server's permissions make it the
// publisher's agency.
func publisherToken(network, subject string) string {
	rest, _ := strings.CutPrefix(subject, "casenet."+network+".in.")
	from, _, _ := strings.Cut(rest, ".")
	return from
}

// refusalLog bounds the hub's log of refused publications: one line per
// member and minute, the next one saying how many were not logged, so that
// a member cannot fill the hub's disk through its log.
type refusalLog struct {
	last  map[string]time.Time
	muted map[string]int
}

// log logs a refusal of a publication of member's, unless one was logged
// for it less than a minute before.
func (r *refusalLog) log(l *slog.Logger, now time.Time, member, msg string, args ...any) {
	if r.last == nil {
		r.last, r.muted = map[string]time.Time{}, map[string]int{}
	}
	if last, ok := r.last[member]; ok && now.Sub(last) < time.Minute {
		r.muted[member]++
		return
	}
	args = append([]any{"member", member}, args...)
	if n := r.muted[member]; n > 0 {
		args = append(args, "refused_unlogged", n)
	}
	l.Warn(msg, args...)
	r.last[member], r.muted[member] = now, 0
}

// validPublishID reports whether id is protocol.PublishID of a message id
// and to.
func validPublishID(id, to string) bool {
	msg, rcpt, ok := strings.Cut(id, ":")
	return ok && rcpt == to && protocol.ValidateMessageID(msg) == nil
}

// refusal is an answer to a publication the hub will not store.
func refusal(code int, format string, args ...any) error {
	return &jetstream.APIError{Code: code, Description: "casenode hub: " + fmt.Sprintf(format, args...)}
}

// take stores one publication. It runs on the subscription's goroutine, in
// arrival order, and hands the publication to its pair's queue
// (ingestorder.go); when the publications taken and not yet answered are
// ingestPending it blocks, and the publications wait in the subscription.
func (g *ingest) take(m *nats.Msg) {
	if g.server != "" && !fromServer(m.Header, g.server) {
		// In a cluster, the ingest of the server the publisher is
		// connected to takes it (clusterIngest).
		return
	}
	now := g.now()
	from, to, ok := ingestParts(g.network, m.Subject)
	if !ok {
		g.refused.log(g.log, now, publisherToken(g.network, m.Subject), "publication refused: not an ingest subject of two agency ids", "subject", m.Subject)
		g.counts.published(publisherToken(g.network, m.Subject), now, true)
		return
	}
	// The publisher is the agency of the account the publication came
	// from, which the server stamps; the subject's FROM token, which the
	// server's permissions confine to the publisher's own id, must name
	// the same agency. Either check alone would hold; both must.
	publisher, err := requesterAgency(m.Header)
	if err != nil {
		g.refused.log(g.log, now, from, "publication refused: the server did not say which member's account it came from", "err", err)
		g.counts.published(from, now, true)
		return
	}
	if publisher != from {
		g.refused.log(g.log, now, publisher, "publication refused: its subject names another agency than the account it came from", "subject_agency", from, "subject", m.Subject)
		g.counts.published(publisher, now, true)
		return
	}
	if m.Reply != "" && !strings.HasPrefix(m.Reply, responsePrefix) {
		// Members publish from their own accounts, so the server gives
		// each publication a reply subject that leads back there. Any
		// other reply subject comes from the hub account itself, and
		// answering it could publish into the roster bucket or another
		// agency's inbox.
		g.refused.log(g.log, now, from, "publication refused: its reply subject does not lead back to the member's account", "reply", m.Reply, "allowed", responsePrefix+">")
		g.counts.published(from, now, true)
		return
	}
	stored, _ := protocol.StoredSubject(g.network, m.Subject)
	id := m.Header.Get(jetstream.MsgIDHeader)
	msgID, _, _ := strings.Cut(id, ":")
	x := &ingested{reply: m.Reply, publisher: from, size: int64(len(m.Data)), at: now,
		pair: pairKey{from, to}, conn: requesterConn(m.Header), msgID: msgID}
	switch {
	case !(*g.members.Load())[to]:
		x.err = refusal(protocol.HubRefusedCode, "%s is not an active member of the network: the hub takes no message for it", to)
		g.refused.log(g.log, now, from, "publication refused: its recipient is not an active member", "recipient", to)
	case !validPublishID(id, to):
		// A node's id is always MESSAGE-ID:RECIPIENT. Anything else is not
		// a node's publication: among others, what the JetStream API
		// answers on an ingest subject that a client named as its reply
		// subject, which must not be stored, nor charged to the agency
		// the subject names.
		x.err = refusal(protocol.HubRefusedCode, "Nats-Msg-Id %.80q is not the message id and the recipient (MESSAGE-ID:%s)", id, to)
		g.refused.log(g.log, now, from, "publication refused: its Nats-Msg-Id is not a node's", "recipient", to, "id", fmt.Sprintf("%.80q", id))
	default:
		if err := g.quotas.admit(from, x.size, x.at); err != nil {
			x.err = refusal(protocol.HubOverLimitCode, "%v", err)
			break
		}
		x.charged = true
		// Only these headers go into the stream: the stream the node
		// expects, its de-duplication id scoped to the publisher, and the
		// publisher. Anything else (rollups, TTLs, schedules, expected
		// sequences, a forged publisher) is dropped.
		out := &nats.Msg{Subject: stored, Data: m.Data, Header: nats.Header{}}
		if v := m.Header.Get(jetstream.ExpectedStreamHeader); v != "" {
			out.Header.Set(jetstream.ExpectedStreamHeader, v)
		}
		if id != "" {
			out.Header.Set(jetstream.MsgIDHeader, protocol.HubPublishID(from, id))
		}
		out.Header.Set(protocol.PublisherHeader, from)
		x.out = out
	}
	g.counts.published(from, now, x.err != nil)
	select {
	case g.slots <- struct{}{}:
	case <-g.stop:
		return
	}
	g.submit(x)
}

// answer takes the publications the stream answered, syncs the stream
// once per group, and then answers the group.
func (g *ingest) answer() {
	defer close(g.done)
	group := make([]*ingested, 0, 64)
	for x := range g.queue {
		group = batch.Drain(append(group[:0], x), g.queue, maxIngestGroup)
		stored := false
		for _, x := range group {
			if x.err == nil && x.ack != nil {
				stored = true
			}
		}
		for _, x := range group {
			if x.charged && (x.err != nil || x.ack != nil && x.ack.Duplicate) {
				g.quotas.refund(x.publisher, x.size, x.at)
			}
		}
		var syncErr error
		if stored && g.syncer != nil {
			syncErr = g.syncer.sync()
			if syncErr != nil && (g.syncErr == nil || syncErr.Error() != g.syncErr.Error()) {
				g.log.Error("cannot sync the messages stream: publications are refused until it can", "err", syncErr)
			}
			g.syncErr = syncErr
		}
		for _, x := range group {
			g.respond(x, syncErr)
			<-g.slots
		}
	}
}

// respond answers one publication as JetStream would: the stream's
// acknowledgement, or an API error.
func (g *ingest) respond(x *ingested, syncErr error) {
	if x.reply == "" {
		return
	}
	var body any
	switch {
	case x.err != nil:
		body = errorReply(x.err, "store the message")
	case syncErr != nil:
		body = errorReply(syncErr, "sync the messages stream")
	default:
		body = x.ack
	}
	data, err := json.Marshal(body)
	if err != nil {
		g.log.Error("cannot encode an answer", "err", err)
		return
	}
	if err := g.answers.Publish(x.reply, data); err != nil {
		g.log.Debug("answer a publication", "err", err)
	}
}

// apiErrorReply is the body of a JetStream API error.
type apiErrorReply struct {
	Error *jetstream.APIError `json:"error"`
}

// errorReply wraps err as the API error a node's JetStream client reports:
// the stream's own error as it is, anything else as 503.
func errorReply(err error, what string) apiErrorReply {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErrorReply{Error: apiErr}
	}
	return apiErrorReply{Error: &jetstream.APIError{Code: 503, Description: "casenode hub: " + what + ": " + err.Error()}}
}

// close stops taking publications, answers those the stream answered
// already, and waits for the pairs' runners to stop. The publications
// still waiting, in the subscription or in their pair's queue, or in the
// stream's hands, get no answer: their nodes publish them again (the
// stream drops as duplicates those it stored).
func (g *ingest) close() {
	if g.sub != nil {
		if err := g.sub.Unsubscribe(); err != nil {
			g.log.Debug("unsubscribe ingest", "err", err)
		}
	}
	g.mu.Lock()
	first := !g.closed
	if first {
		g.closed = true
		close(g.stop)
	}
	g.mu.Unlock()
	// The pairs' runners hand nothing to the queue once closed is set.
	g.runners.Wait()
	if first {
		close(g.queue)
	}
	<-g.done
	if g.syncer != nil {
		g.syncer.close()
	}
}
