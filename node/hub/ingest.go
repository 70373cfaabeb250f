package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	ingestTimeout = 30 * time.Second
)

// ingestHeaders are the only headers a node's publication keeps on its way
// into the stream: its de-duplication id and the stream it expects. Any
// other header (rollups, TTLs, schedules, expected sequences) is dropped.
var ingestHeaders = [...]string{jetstream.MsgIDHeader, jetstream.ExpectedStreamHeader}

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
// The server's permissions let an agency publish only on its own ingest
// subjects, so the FROM token is the publisher's agency.
type ingest struct {
	network string
	log     *slog.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	syncer  *blockSyncer // nil: answer without syncing
	sub     *nats.Subscription
	queue   chan *ingested
	done    chan struct{}

	mu      sync.Mutex // guards closed and sending on queue
	closed  bool
	syncErr error // the last sync failure, for the log
}

// ingested is one publication on its way to its answer.
type ingested struct {
	reply string
	fut   jetstream.PubAckFuture
	ack   *jetstream.PubAck
	err   error
}

// startIngest subscribes to the network's ingest subjects on the hub's own
// connection. syncer is nil when the hub syncs at an interval.
func startIngest(nc *nats.Conn, network string, syncer *blockSyncer, log *slog.Logger) (*ingest, error) {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(ingestPending), jetstream.WithPublishAsyncTimeout(ingestTimeout))
	if err != nil {
		return nil, err
	}
	g := &ingest{network: network, log: log, nc: nc, js: js, syncer: syncer,
		queue: make(chan *ingested, ingestPending), done: make(chan struct{})}
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

// take stores one publication. It runs on the subscription's goroutine, in
// arrival order; when the stream falls behind it blocks, and the
// publications wait in the subscription.
func (g *ingest) take(m *nats.Msg) {
	x := &ingested{reply: m.Reply}
	stored, ok := protocol.StoredSubject(g.network, m.Subject)
	if !ok {
		x.err = fmt.Errorf("subject %s is not an ingest subject of network %s", m.Subject, g.network)
	} else {
		out := &nats.Msg{Subject: stored, Data: m.Data, Header: nats.Header{}}
		for _, k := range ingestHeaders {
			if v := m.Header.Get(k); v != "" {
				out.Header.Set(k, v)
			}
		}
		x.fut, x.err = g.js.PublishMsgAsync(out, jetstream.WithStallWait(ingestTimeout))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	g.queue <- x
}

// answer waits for the stream's acknowledgements in order, syncs the stream
// once per group, and then answers the group.
func (g *ingest) answer() {
	defer close(g.done)
	group := make([]*ingested, 0, 64)
	for x := range g.queue {
		group = batch.Drain(append(group[:0], x), g.queue, maxIngestGroup)
		stored := false
		for _, x := range group {
			if x.err != nil {
				continue
			}
			select {
			case x.ack = <-x.fut.Ok():
				stored = true
			case x.err = <-x.fut.Err():
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
	if err := g.nc.Publish(x.reply, data); err != nil {
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

// close stops taking publications and waits until those taken are
// answered. Publications still waiting in the subscription get no answer:
// their nodes publish them again.
func (g *ingest) close() {
	if g.sub != nil {
		if err := g.sub.Unsubscribe(); err != nil {
			g.log.Debug("unsubscribe ingest", "err", err)
		}
	}
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.queue)
	}
	g.mu.Unlock()
	<-g.done
	if g.syncer != nil {
		g.syncer.close()
	}
}
