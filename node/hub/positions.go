package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// A hub that runs alone keeps its inbox consumers' state in memory, not in
// JetStream's files: a file-backed consumer rewrites its state file (by
// create, write and rename) up to ten times a second, and with a hundred
// agencies receiving those writes were a fifth of the CPU a message cost
// (docs/PERFORMANCE.md, "Fan-in at 100"). What a consumer must not lose
// across a restart is its position: its acknowledgement floor, below which
// every message is acknowledged. The hub saves each floor in the positions
// bucket every positionsInterval and when it closes, and recreates a
// consumer it does not find (after a restart) from the message after its
// saved floor. Messages acknowledged since the last save are delivered
// again after a crash, as JetStream's own unsynced state files would after
// a power loss; nodes take them as duplicates. A clustered hub keeps its
// consumers replicated, in files.
const positionsInterval = time.Second

// positionsBucket is the key-value bucket of the inbox consumers'
// acknowledgement floors, one key per agency, its value the floor in
// decimal.
func positionsBucket(network string) string { return "casenode-hub-positions-" + network }

// maxPositionValue bounds a position's value: a uint64 in decimal.
const maxPositionValue = 20

// setupPositions creates or opens the positions bucket of a hub that runs
// alone; a clustered hub has none (nil).
func setupPositions(ctx context.Context, js jetstream.JetStream, network string, clustered bool) (jetstream.KeyValue, error) {
	if clustered {
		return nil, nil
	}
	// Without direct gets, as every bucket of the hub (bucketStream).
	kv, err := ensureBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket:       positionsBucket(network),
		Description:  "casenode: the acknowledgement floors of the inbox consumers of network " + network,
		History:      1,
		MaxValueSize: maxPositionValue,
		Storage:      jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("positions: %w", err)
	}
	return kv, nil
}

// parsePosition reads a saved floor: decimal digits only, at most
// maxPositionValue of them.
func parsePosition(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > maxPositionValue {
		return 0, fmt.Errorf("position of %d bytes", len(b))
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("position %.20q is not a decimal number", b)
		}
	}
	return strconv.ParseUint(string(b), 10, 64)
}

// savedPosition returns agency's saved floor, zero if none.
func savedPosition(ctx context.Context, kv jetstream.KeyValue, agency string) (uint64, error) {
	e, err := kv.Get(ctx, agency)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the inbox position of %s: %w", agency, err)
	}
	floor, err := parsePosition(e.Value())
	if err != nil {
		return 0, fmt.Errorf("inbox position of %s: %w", agency, err)
	}
	return floor, nil
}

// ensureConsumer creates or updates agency's inbox consumer (info, nil
// if it has none), with its state in memory when the hub keeps the
// positions (kv not nil). An existing consumer keeps where it started, and
// is left alone if it is as it should be; one that is missing starts after
// its saved floor; a file-backed one (made by an older hub) is replaced by
// one in memory that starts after its floor.
//
// A saved floor beyond the stream's last sequence (lastSeq) names messages
// the stream does not hold: it was restored from a backup whose messages
// stream was snapshotted before the positions bucket. The consumer then
// starts after lastSeq, so that the messages stored from now on, which
// take the sequences after lastSeq, are delivered.
func ensureConsumer(ctx context.Context, js jetstream.JetStream, kv jetstream.KeyValue, network, agency string, info *jetstream.ConsumerInfo, lastSeq uint64) error {
	stream := protocol.StreamName(network)
	cfg := consumerConfig(network, agency)
	if kv == nil {
		if info != nil && sameConsumer(info.Config, cfg) {
			return nil
		}
		_, err := js.CreateOrUpdateConsumer(ctx, stream, cfg)
		return err
	}
	cfg.MemoryStorage = true
	if info == nil {
		floor, err := savedPosition(ctx, kv, agency)
		if err != nil {
			return err
		}
		startAfter(&cfg, min(floor, lastSeq))
		_, err = js.CreateConsumer(ctx, stream, cfg)
		return err
	}
	if info.Config.MemoryStorage {
		cfg.DeliverPolicy, cfg.OptStartSeq = info.Config.DeliverPolicy, info.Config.OptStartSeq
		if sameConsumer(info.Config, cfg) {
			return nil
		}
		_, err := js.UpdateConsumer(ctx, stream, cfg)
		return err
	}
	// A file-backed consumer: its floor is saved first, so that a crash
	// before the new one exists loses nothing.
	floor := info.AckFloor.Stream
	if _, err := kv.Put(ctx, agency, []byte(strconv.FormatUint(floor, 10))); err != nil {
		return fmt.Errorf("save the inbox position of %s: %w", agency, err)
	}
	if err := js.DeleteConsumer(ctx, stream, cfg.Durable); err != nil {
		return fmt.Errorf("replace the file-backed inbox consumer of %s: %w", agency, err)
	}
	startAfter(&cfg, floor)
	_, err := js.CreateConsumer(ctx, stream, cfg)
	return err
}

// sameConsumer reports whether a consumer's configuration has every
// setting of want that the hub sets.
func sameConsumer(have, want jetstream.ConsumerConfig) bool {
	return have.Durable == want.Durable && have.Description == want.Description && have.FilterSubject == want.FilterSubject &&
		have.DeliverPolicy == want.DeliverPolicy && have.OptStartSeq == want.OptStartSeq && have.AckPolicy == want.AckPolicy &&
		have.AckWait == want.AckWait && slices.Equal(have.BackOff, want.BackOff) && have.MaxDeliver == want.MaxDeliver &&
		have.MaxAckPending == want.MaxAckPending && have.ReplayPolicy == want.ReplayPolicy && have.MemoryStorage == want.MemoryStorage
}

// startAfter makes cfg start after stream sequence floor.
func startAfter(cfg *jetstream.ConsumerConfig, floor uint64) {
	if floor > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, floor+1
	}
}

// positionSaver saves the inbox consumers' floors every positionsInterval
// and once more when it stops.
type positionSaver struct {
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	network string
	log     *slog.Logger
	saved   map[string]uint64 // on the saver's goroutine, and close's after it
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

// startPositions starts saving the floors into kv.
func startPositions(js jetstream.JetStream, kv jetstream.KeyValue, network string, log *slog.Logger) *positionSaver {
	ctx, cancel := context.WithCancel(context.Background())
	p := &positionSaver{js: js, kv: kv, network: network, log: log, saved: map[string]uint64{}, cancel: cancel, done: make(chan struct{})}
	go p.run(ctx)
	return p
}

func (p *positionSaver) run(ctx context.Context) {
	defer close(p.done)
	tick := time.NewTicker(positionsInterval)
	defer tick.Stop()
	var warned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// A failure is logged once a minute at most: it repeats every
		// second while it lasts.
		if err := p.save(ctx); err != nil && ctx.Err() == nil && time.Since(warned) >= time.Minute {
			p.log.Warn("cannot save the inbox positions; after a restart more messages are delivered again", "err", err)
			warned = time.Now()
		}
	}
}

// save writes the floors that moved since the last save.
func (p *positionSaver) save(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := p.js.Stream(ctx, protocol.StreamName(p.network))
	if err != nil {
		return err
	}
	list := stream.ListConsumers(ctx)
	for info := range list.Info() {
		agency, ok := strings.CutPrefix(info.Name, protocol.ConsumerName(""))
		if !ok || !info.Config.MemoryStorage {
			continue
		}
		floor := info.AckFloor.Stream
		if last, ok := p.saved[agency]; ok && last == floor {
			continue
		}
		if _, err := p.kv.Put(ctx, agency, []byte(strconv.FormatUint(floor, 10))); err != nil {
			return err
		}
		p.saved[agency] = floor
	}
	return list.Err()
}

// close stops the saver after a last save; the server must still run.
func (p *positionSaver) close() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		p.cancel()
		<-p.done
		if err := p.save(context.Background()); err != nil {
			p.log.Warn("cannot save the inbox positions at close; after the restart more messages are delivered again", "err", err)
		}
	})
}
