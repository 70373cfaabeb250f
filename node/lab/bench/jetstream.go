package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxInFlight bounds asynchronous publishes waiting for their ack, here and
// in the scenarios that drive nodes.
const maxInFlight = 256

// stallWait is how long a publication waits for one of the maxInFlight
// slots before it fails.
const stallWait = 30 * time.Second

// RawJetStream publishes messages of size bytes into a file-backed stream
// on an embedded server over loopback TCP, with asynchronous publishes and
// message ids as casenode uses them, then consumes and acks them all: the
// transport's cost with no casenode work. syncAlways is JetStream's own
// per-message fsync (the hub with sync "always" fsyncs in groups instead,
// in its ingest); without it the stream syncs every 2 minutes.
func RawJetStream(ctx context.Context, dir string, messages, size int, syncAlways bool) (Result, error) {
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		JetStream: true, StoreDir: filepath.Join(dir, "raw-jetstream"), SyncAlways: syncAlways,
	})
	if err != nil {
		return Result{}, fmt.Errorf("raw jetstream: %w", err)
	}
	go s.Start()
	defer s.Shutdown()
	if !s.ReadyForConnections(10 * time.Second) {
		return Result{}, fmt.Errorf("raw jetstream: server not ready")
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		return Result{}, fmt.Errorf("raw jetstream: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(maxInFlight))
	if err != nil {
		return Result{}, err
	}
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "raw", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return Result{}, fmt.Errorf("raw jetstream: create stream: %w", err)
	}
	data := make([]byte, size)
	start := time.Now()
	for i := 0; i < messages; i++ {
		// At most maxInFlight wait for the hub: a publication beyond waits
		// for a slot (up to stallWait, for a disk slowed by other work)
		// instead of failing as stalled.
		if _, err := js.PublishAsync("raw.a.b", data, jetstream.WithMsgID(fmt.Sprintf("m%d", i)), jetstream.WithStallWait(stallWait)); err != nil {
			return Result{}, fmt.Errorf("raw jetstream: publish: %w", err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	published := time.Since(start)
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "c", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 10000})
	if err != nil {
		return Result{}, fmt.Errorf("raw jetstream: consumer: %w", err)
	}
	got := 0
	cstart := time.Now()
	for got < messages {
		batch, err := cons.Fetch(min(1000, messages-got), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return Result{}, fmt.Errorf("raw jetstream: fetch: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			if err := m.Ack(); err != nil {
				return Result{}, fmt.Errorf("raw jetstream: ack: %w", err)
			}
			n++
		}
		if n == 0 {
			return Result{}, fmt.Errorf("raw jetstream: consumed %d of %d", got, messages)
		}
		got += n
	}
	consumed := time.Since(cstart)
	total := published + consumed
	sync := "every 2 minutes (default)"
	if syncAlways {
		sync = "every message (JetStream SyncAlways)"
	}
	return Result{
		Name:     fmt.Sprintf("jetstream/sync-%v", syncAlways),
		Title:    "raw JetStream baseline: async publish with msg ids, then pull consume + ack, no casenode work",
		Params:   map[string]any{"body_bytes": size, "sync": sync, "in_flight": maxInFlight},
		Messages: messages, Seconds: total.Seconds(), PerSecond: rate(messages, total),
		Values: map[string]float64{"publish_per_second": rate(messages, published), "consume_per_second": rate(messages, consumed)},
	}, nil
}
