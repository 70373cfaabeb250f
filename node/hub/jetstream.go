package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Consumer settings every agency's inbox consumer has. docs/OPERATOR.md
// states them in the node connection contract.
const (
	// ConsumerAckWait is how long a delivered message waits for its ack
	// before the first redelivery.
	ConsumerAckWait = 30 * time.Second
	// ConsumerMaxAckPending bounds the messages delivered and not yet acked.
	ConsumerMaxAckPending = 1000
	// RosterHistory is how many rosters the roster bucket keeps.
	RosterHistory = 16
)

// ConsumerBackOff are the redelivery delays of an unacked message; the last
// one repeats. Its first entry is ConsumerAckWait.
func ConsumerBackOff() []time.Duration {
	return []time.Duration{ConsumerAckWait, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}
}

// streamConfig is the messages stream: file storage, kept for the
// configured retention, never deleted or purged through the API, and
// refusing new messages rather than dropping old ones when a limit is hit.
func streamConfig(cfg *config.Hub) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        protocol.StreamName(cfg.Network),
		Description: "casenode: sealed case messages of network " + cfg.Network,
		Subjects:    []string{protocol.StreamSubjects(cfg.Network)},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardNew,
		MaxAge:      time.Duration(cfg.Retention),
		MaxMsgSize:  int32(cfg.MaxPayload + config.HeaderAllowance),
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas(),
		Duplicates:  time.Duration(cfg.DuplicateWindow),
		DenyDelete:  true,
		DenyPurge:   true,
	}
}

// consumerConfig is agency's inbox: a durable pull consumer of the messages
// addressed to it, redelivered until acked.
func consumerConfig(network, agency string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       protocol.ConsumerName(agency),
		Description:   "casenode: inbox of agency " + agency,
		FilterSubject: protocol.InboxFilter(network, agency),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ConsumerAckWait,
		BackOff:       ConsumerBackOff(),
		MaxDeliver:    -1,
		MaxAckPending: ConsumerMaxAckPending,
		ReplayPolicy:  jetstream.ReplayInstantPolicy,
	}
}

// rosterBucketConfig is the roster bucket.
func rosterBucketConfig(network string, replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:       protocol.RosterBucket(network),
		Description:  "casenode: signed rosters of network " + network,
		History:      RosterHistory,
		MaxValueSize: protocol.MaxSignedRosterSize,
		Storage:      jetstream.FileStorage,
		Replicas:     replicas,
	}
}

// attemptTimeout bounds one attempt of setupJetStream.
const attemptTimeout = 5 * time.Second

// setupJetStream creates or updates the stream and the roster bucket. Right
// after start JetStream may not answer yet, so it retries until ctx ends.
func setupJetStream(ctx context.Context, js jetstream.JetStream, cfg *config.Hub) (kv, users jetstream.KeyValue, err error) {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		// Each attempt has a deadline of its own: a request made before a
		// cluster has elected its meta leader may get no answer at all.
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		_, err = js.CreateOrUpdateStream(actx, streamConfig(cfg))
		if err == nil {
			// A new cluster's bucket may fail while its stream's
			// replicas settle: both are retried.
			kv, err = createRosterBucket(actx, js, cfg)
			if err == nil {
				users, err = setupUsersBucket(actx, js, cfg)
				cancel()
				if err == nil {
					return kv, users, nil
				}
			} else {
				cancel()
			}
		} else {
			cancel()
			err = fmt.Errorf("create stream %s: %w", protocol.StreamName(cfg.Network), err)
		}
		select {
		case <-ctx.Done():
			if cfg.Cluster.Enabled() {
				return nil, nil, fmt.Errorf("%w (a clustered hub needs a quorum, %d of its %d servers, running and routed to each other)", err, config.ClusterReplicas/2+1, config.ClusterReplicas)
			}
			return nil, nil, err
		case <-time.After(wait):
		}
	}
}

// createRosterBucket creates or updates the roster bucket, without direct
// gets (bucketStream).
func createRosterBucket(ctx context.Context, js jetstream.JetStream, cfg *config.Hub) (jetstream.KeyValue, error) {
	return ensureBucket(ctx, js, rosterBucketConfig(cfg.Network, cfg.Replicas()))
}

// ensureBucket creates or updates the key-value bucket c, as the stream
// bucketStream(c), and binds it.
//
// It does not use nats.go's CreateOrUpdateKeyValue: that always sets
// direct gets on, so that a server turning them off after it (as the hub
// must) and another server, or a node, binding the bucket in between got
// a handle that reads with direct gets for good, and found no responder
// once they were off: on a three-server hub starting at once, a server
// without the secretariat's key followed no roster at all (issue #18).
func ensureBucket(ctx context.Context, js jetstream.JetStream, c jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	if _, err := js.CreateOrUpdateStream(ctx, bucketStream(c)); err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", c.Bucket, err)
	}
	kv, err := js.KeyValue(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", c.Bucket, err)
	}
	return kv, nil
}

// bucketStream is the stream of key-value bucket c, as nats.go makes it
// (one subject per key under $KV.<bucket>., History values per key,
// rollups for purges, no deletes through the API, new values refused when
// full), but with direct gets off from its creation: its readers get
// values through the JetStream API. nats-server (2.15.3) reads its
// options without their lock when it answers a direct get (stream.go,
// getDirectRequest), while a configuration reload replaces them: a data
// race. The buckets are read rarely; the API path costs nothing that
// matters.
func bucketStream(c jetstream.KeyValueConfig) jetstream.StreamConfig {
	history := int64(max(c.History, 1))
	maxBytes, maxSize := c.MaxBytes, c.MaxValueSize
	if maxBytes == 0 {
		maxBytes = -1
	}
	if maxSize == 0 {
		maxSize = -1
	}
	dupes := 2 * time.Minute
	if c.TTL > 0 && c.TTL < dupes {
		dupes = c.TTL
	}
	return jetstream.StreamConfig{
		Name:              "KV_" + c.Bucket,
		Description:       c.Description,
		Subjects:          []string{"$KV." + c.Bucket + ".>"},
		MaxMsgsPerSubject: history,
		MaxBytes:          maxBytes,
		MaxAge:            c.TTL,
		MaxMsgSize:        maxSize,
		MaxMsgs:           -1,
		MaxConsumers:      -1,
		Storage:           c.Storage,
		Replicas:          max(c.Replicas, 1),
		AllowRollup:       true,
		DenyDelete:        true,
		Duplicates:        dupes,
		AllowDirect:       false,
		Discard:           jetstream.DiscardNew,
	}
}

// ensureConsumers creates or updates the inbox consumer of every active
// member: with its state in memory and its position in the positions
// bucket when the hub has one (it runs alone, positions.go), in files
// otherwise. Consumers of revoked members stay, with their messages, for
// the record; their owners can no longer connect.
func ensureConsumers(ctx context.Context, js jetstream.JetStream, r *protocol.Roster) error {
	kv, err := js.KeyValue(ctx, positionsBucket(r.Network))
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("open positions bucket %s: %w", positionsBucket(r.Network), err)
	}
	// One listing, rather than a request per member: a roster change
	// touches only the consumers that are missing or differ.
	have := map[string]*jetstream.ConsumerInfo{}
	stream, err := js.Stream(ctx, protocol.StreamName(r.Network))
	if err != nil {
		return fmt.Errorf("list inbox consumers: %w", err)
	}
	list := stream.ListConsumers(ctx)
	for info := range list.Info() {
		have[info.Name] = info
	}
	if err := list.Err(); err != nil {
		return fmt.Errorf("list inbox consumers: %w", err)
	}
	for _, m := range r.Active() {
		if err := ensureConsumer(ctx, js, kv, r.Network, m.Card.Agency, have[protocol.ConsumerName(m.Card.Agency)], stream.CachedInfo().State.LastSeq); err != nil {
			return fmt.Errorf("create inbox consumer of %s: %w", m.Card.Agency, err)
		}
	}
	return nil
}

// publishRoster puts sr into the roster bucket unless the bucket already
// holds it. A newer roster in the bucket means roster.jws was rolled back:
// that is an error, and the bucket is left alone. A bucket whose current
// value does not verify (nothing but the hub should ever write there; an
// older hub let a member's reply subject overwrite it) is repaired with
// sr, unless the bucket's history holds a verifying roster newer than sr.
func publishRoster(ctx context.Context, kv jetstream.KeyValue, sr *SignedRoster, pinned *protocol.MemberCard, log *slog.Logger) (bool, error) {
	entry, err := kv.Get(ctx, protocol.RosterKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		_, err = kv.Put(ctx, protocol.RosterKey, sr.JWS)
		if err != nil {
			return false, fmt.Errorf("publish roster: %w", err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read published roster: %w", err)
	}
	published, err := VerifyRoster(entry.Value(), pinned.PublicKey())
	if err != nil {
		return repairRoster(ctx, kv, sr, pinned, entry, err, log)
	}
	switch {
	case published.Roster.Serial > sr.Roster.Serial:
		return false, &RollbackError{Msg: fmt.Sprintf("the roster bucket holds serial %d, newer than serial %d in %s", published.Roster.Serial, sr.Roster.Serial, RosterFile)}
	case published.Roster.Serial == sr.Roster.Serial && !bytes.Equal(published.JWS, sr.JWS):
		return false, &RollbackError{Msg: fmt.Sprintf("the roster bucket holds another roster with serial %d than %s", sr.Roster.Serial, RosterFile)}
	case published.Roster.Serial == sr.Roster.Serial:
		return false, nil
	}
	if _, err := kv.Update(ctx, protocol.RosterKey, sr.JWS, entry.Revision()); err != nil {
		return false, fmt.Errorf("publish roster: %w", err)
	}
	return true, nil
}

// repairRoster replaces a roster bucket value that does not verify
// (badErr says why) with sr, once it has checked that no verifying roster
// in the bucket's history is newer than sr: that would mean roster.jws was
// rolled back, and the operator must decide.
func repairRoster(ctx context.Context, kv jetstream.KeyValue, sr *SignedRoster, pinned *protocol.MemberCard, bad jetstream.KeyValueEntry, badErr error, log *slog.Logger) (bool, error) {
	history, err := kv.History(ctx, protocol.RosterKey)
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, fmt.Errorf("read the roster bucket's history: %w", err)
	}
	for _, e := range history {
		if e.Operation() != jetstream.KeyValuePut {
			continue
		}
		old, err := VerifyRoster(e.Value(), pinned.PublicKey())
		if err != nil {
			continue
		}
		if old.Roster.Serial > sr.Roster.Serial {
			return false, &RollbackError{Msg: fmt.Sprintf("the roster bucket's current value does not verify (%v), and its history holds serial %d, newer than serial %d in %s", badErr, old.Roster.Serial, sr.Roster.Serial, RosterFile)}
		}
	}
	if _, err := kv.Update(ctx, protocol.RosterKey, sr.JWS, bad.Revision()); err != nil {
		return false, fmt.Errorf("repair the roster bucket: %w", err)
	}
	log.Warn("the roster bucket held a value that does not verify: replaced with roster.jws", "bad_revision", bad.Revision(), "bad_size", len(bad.Value()), "err", badErr, "serial", sr.Roster.Serial)
	return true, nil
}

// countStored charges every message in the messages stream to the agency
// that published it (the FROM token of its subject), reading the stream's
// headers only, from its first message to the last one at start.
func countStored(ctx context.Context, js jetstream.JetStream, network string, q *quotas) error {
	stream, err := js.Stream(ctx, protocol.StreamName(network))
	if err != nil {
		return fmt.Errorf("count stored messages: %w", err)
	}
	state := stream.CachedInfo().State
	if state.Msgs == 0 {
		return nil
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{HeadersOnly: true})
	if err != nil {
		return fmt.Errorf("count stored messages: %w", err)
	}
	prefix := "casenet." + network + ".msg."
	// Nothing is published while the hub counts (the ingest and the client
	// port start after): ask for exactly what remains, so that the last
	// fetch does not wait for messages that will not come.
	left := state.Msgs
	for {
		batch, err := cons.Fetch(int(min(left, 1024)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("count stored messages: %w", err)
		}
		n, last := 0, uint64(0)
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			last = md.Sequence.Stream
			from, _, _ := strings.Cut(strings.TrimPrefix(m.Subject(), prefix), ".")
			size, _ := strconv.ParseInt(m.Headers().Get(nats.MsgSize), 10, 64)
			q.counted(from, size, md.Timestamp)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("count stored messages: %w", err)
		}
		left -= min(left, uint64(n))
		if n == 0 || left == 0 || last >= state.LastSeq {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("count stored messages: %w", err)
		}
	}
}

// RollbackError reports a roster.jws older than what the hub already
// published: a restored backup, or a hub directory mixed with another's
// JetStream files.
type RollbackError struct{ Msg string }

// Error implements error.
func (e *RollbackError) Error() string { return e.Msg }

// Hint tells the operator how to recover.
func (e *RollbackError) Hint() string {
	return "restore roster.jws, users.json and jetstream/ from the same backup, or run 'casenode hub renew' on the newest roster.jws you have"
}
