package hub

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// witnessTimeout bounds the work on one add-checkpoint request: reading
// and recording the state.
const witnessTimeout = 10 * time.Second

// witnessService is the hub's witness (C2SP tlog-witness): it cosigns the
// checkpoints of each member's audit log once it has checked that each one
// extends the last one it cosigned. Its state, the latest cosigned
// checkpoint of each agency, is in the witness bucket; what it refused as
// evidence of a fork or a rollback is in the alarm bucket.
type witnessService struct {
	network  string
	cosigner *witness.Cosigner
	state    jetstream.KeyValue
	alarms   jetstream.KeyValue
	// resets are the resets of the state the secretariat ordered
	// (witness_reset.go).
	resets jetstream.KeyValue
	// syncer and resetSyncer are nil unless sync is "always" on a hub
	// that runs alone.
	syncer      *blockSyncer
	resetSyncer *blockSyncer
	// stop ends the watch for reset orders (once); done says it ended.
	stop, done chan struct{}
	stopOnce   sync.Once
	roster     func() *protocol.Roster
	log        *slog.Logger
	now        func() time.Time
	sub        *nats.Subscription

	mu sync.Mutex // serializes requests: a check and its update are one step
}

// witnessStateConfig is the witness bucket: one key per agency, the latest
// cosigned checkpoint; a short history for the record.
func witnessStateConfig(network string, replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:       protocol.WitnessBucket(network),
		Description:  "casenode: the latest checkpoint the hub's witness cosigned, per agency, of network " + network,
		History:      8,
		MaxValueSize: witness.MaxCheckpointSize,
		Storage:      jetstream.FileStorage,
		Replicas:     replicas,
	}
}

// witnessAlarmConfig is the alarm bucket: one key per agency and kind, the
// first such contradiction, so that a member repeating requests adds
// nothing.
func witnessAlarmConfig(network string, replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:       protocol.WitnessAlarmBucket(network),
		Description:  "casenode: forks and rollbacks the hub's witness refused, with both checkpoints, of network " + network,
		History:      1,
		MaxValueSize: maxWitnessAlarm,
		MaxBytes:     64 << 20,
		Storage:      jetstream.FileStorage,
		Replicas:     replicas,
	}
}

// startWitness creates the witness's buckets, loads its key (making one
// for a hub initialised before witnesses existed) and starts answering on
// the witness subjects.
func (h *Hub) startWitness(ctx context.Context) (*witnessService, error) {
	c, created, err := loadWitnessKey(h.dir, h.cfg.Network, true)
	if err != nil {
		return nil, err
	}
	if created {
		h.log.Warn("made the hub's witness key: the roster does not name it yet, so nodes cannot check its cosignatures", "file", WitnessKeyFile, "fix", "casenode hub renew --dir "+h.dir)
	} else if !h.roster.Roster.HasWitness(c.VerifierKey()) {
		h.log.Warn("the roster does not name the hub's witness key: nodes cannot check its cosignatures", "fix", "casenode hub renew --dir "+h.dir)
	}
	w := &witnessService{network: h.cfg.Network, cosigner: c, log: h.log.With("service", "witness"), now: time.Now,
		roster: func() *protocol.Roster { return h.Roster().Roster }}
	// Without direct gets, as every bucket of the hub (bucketStream).
	err = retryClustered(ctx, h.cfg, func(ctx context.Context) (err error) {
		if w.state, err = ensureBucket(ctx, h.js, witnessStateConfig(h.cfg.Network, h.cfg.Replicas())); err != nil {
			return err
		}
		if w.alarms, err = ensureBucket(ctx, h.js, witnessAlarmConfig(h.cfg.Network, h.cfg.Replicas())); err != nil {
			return err
		}
		w.resets, err = ensureBucket(ctx, h.js, witnessResetConfig(h.cfg.Network, h.cfg.Replicas()))
		return err
	})
	if err != nil {
		return nil, err
	}
	// A clustered server syncs through JetStream (clusterConfig); its
	// replica's files may not exist yet (a server back with an empty
	// store).
	if h.cfg.Sync == config.SyncAlways && !h.cfg.Cluster.Enabled() {
		if w.syncer, err = newBlockSyncer(h.cfg.StoreDir, "KV_"+protocol.WitnessBucket(h.cfg.Network)); err != nil {
			return nil, err
		}
		if w.resetSyncer, err = newBlockSyncer(h.cfg.StoreDir, "KV_"+protocol.WitnessResetBucket(h.cfg.Network)); err != nil {
			return nil, err
		}
	}
	// The reset orders the secretariat left while the hub was stopped
	// apply before the first request.
	h.witness = w
	h.applyWitnessResetOrders(ctx)
	// One server of a clustered hub answers each request (the state's
	// revision keeps two servers from both moving it).
	if w.sub, err = h.nc.QueueSubscribe(protocol.WitnessFilter(h.cfg.Network), serviceQueue, w.handle); err != nil {
		return nil, fmt.Errorf("start the witness: %w", err)
	}
	if err := h.nc.Flush(); err != nil {
		return nil, fmt.Errorf("start the witness: %w", err)
	}
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go watchResetOrders(w.stop, w.done, h.poll, h.applyWitnessResetOrders)
	return w, nil
}

// watchResetOrders applies the reset orders of the hub directory every
// poll interval until stop closes; it closes done when it returns.
func watchResetOrders(stop <-chan struct{}, done chan<- struct{}, poll time.Duration, apply func(context.Context)) {
	defer close(done)
	t := time.NewTicker(poll)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			apply(ctx)
		}
	}
}

func (w *witnessService) close() {
	if w == nil {
		return
	}
	if w.stop != nil {
		w.stopOnce.Do(func() { close(w.stop) })
		<-w.done
	}
	if w.sub != nil {
		w.sub.Unsubscribe()
	}
	if w.syncer != nil {
		w.syncer.close()
	}
	if w.resetSyncer != nil {
		w.resetSyncer.close()
	}
}

// handle answers one request. Only requests that crossed from a member's
// account (a reply subject the server made, the account the server
// stamped) get an answer.
func (w *witnessService) handle(m *nats.Msg) {
	agency, ok := protocol.WitnessRequester(w.network, m.Subject)
	if !ok || !strings.HasPrefix(m.Reply, responsePrefix) {
		w.log.Warn("witness request refused: not a member's request", "subject", m.Subject)
		return
	}
	// The account the request came from, which the server stamps, must be
	// the agency the subject names (which the member's permissions fix):
	// either check alone would hold; both must.
	if requester, err := requesterAgency(m.Header); err != nil || requester != agency {
		w.log.Warn("witness request refused: its subject names another agency than the account it came from", "subject", m.Subject, "account_agency", requester, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), witnessTimeout)
	defer cancel()
	status, body, reset := w.addCheckpoint(ctx, agency, m.Data)
	reply := &nats.Msg{Subject: m.Reply, Header: nats.Header{}, Data: body}
	reply.Header.Set(witness.StatusHeader, strconv.Itoa(status))
	if reset != "" {
		reply.Header.Set(witness.ResetHeader, reset)
	}
	if status == witness.StatusConflict {
		reply.Header.Set("Content-Type", "text/x.tlog.size")
	}
	if err := m.RespondMsg(reply); err != nil {
		w.log.Warn("witness answer not sent", "agency", agency, "err", err)
	}
}

// addCheckpoint judges a request of agency and, if it holds, records the
// new state durably and returns the cosignature; with the first
// cosignature after a reset of the agency's state, the secretariat's
// signed order of the newest reset (witness.ResetHeader).
func (w *witnessService) addCheckpoint(ctx context.Context, agency string, body []byte) (int, []byte, string) {
	req, err := witness.ParseRequest(body)
	if err != nil {
		w.log.Warn("witness request refused", "agency", agency, "status", witness.StatusBadRequest, "err", err)
		return witness.StatusBadRequest, []byte(err.Error() + "\n"), ""
	}
	keys, err := w.logKeys(agency)
	if err != nil {
		w.log.Warn("witness request refused", "agency", agency, "status", witness.StatusNotFound, "err", err)
		return witness.StatusNotFound, []byte(err.Error() + "\n"), ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	cur, err := w.latest(ctx, agency)
	if err != nil {
		w.log.Error("witness state unreadable", "agency", agency, "err", err)
		return witness.StatusUnavailable, []byte("the witness cannot read its state\n"), ""
	}
	var latest *witness.Latest
	if cur != nil {
		latest = &witness.Latest{Size: cur.cp.Size, Root: cur.cp.Root}
	}
	v := witness.Check(req, protocol.LogOrigin(w.network, agency), keys, latest)
	if v.Evidence != "" {
		w.recordAlarm(ctx, agency, v, cur, req)
	}
	switch v.Status {
	case witness.StatusOK:
	case witness.StatusConflict:
		w.log.Info("witness: the node's idea of the cosigned size is out of date", "agency", agency, "old", req.Old, "witness_size", sizeOf(latest))
		return v.Status, []byte(strconv.FormatInt(sizeOf(latest), 10) + "\n"), ""
	default:
		w.log.Warn("witness request refused", "agency", agency, "status", v.Status, "reason", v.Reason)
		return v.Status, []byte(v.Reason + "\n"), ""
	}
	line := w.cosigner.Cosign([]byte(v.Checkpoint.Text()), w.now())
	if cur != nil && cur.cp.Size == v.Checkpoint.Size {
		// The checkpoint it holds (the same root, Check saw to it), sent
		// again after a lost answer: nothing to record.
		return witness.StatusOK, line, ""
	}
	cosigned := append(bytes.Clone(req.Checkpoint), line...)
	if err := w.store(ctx, agency, cosigned, cur); err != nil {
		w.log.Error("witness state not recorded: no cosignature given", "agency", agency, "err", err)
		return witness.StatusUnavailable, []byte("the witness cannot record its state\n"), ""
	}
	if cur != nil {
		return witness.StatusOK, line, ""
	}
	return witness.StatusOK, line, w.lastReset(ctx, agency)
}

// lastReset returns the signed order of the newest reset of agency's
// state, "" if there was none (or it cannot be read: the node's alarm
// then waits for a person, as before resets were told).
func (w *witnessService) lastReset(ctx context.Context, agency string) string {
	rs, err := readWitnessResets(ctx, w.resets, agency)
	if err != nil {
		w.log.Warn("witness: the resets are unreadable; the node is not told of its reset", "agency", agency, "err", err)
		return ""
	}
	if len(rs) == 0 {
		return ""
	}
	return rs[len(rs)-1].Order
}
