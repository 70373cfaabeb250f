package hub

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestBucketSetupKeepsDirectGetsOff: setting up the hub's buckets again, as
// each server of a cluster does at its start, never asks for direct gets,
// even for a moment: a server or node that bound a bucket in that moment
// would read it with direct gets for good, and find no responder once they
// were off (a follower server then followed no roster, issue #18). A
// handle bound after each setup reads.
func TestBucketSetupKeepsDirectGetsOff(t *testing.T) {
	ctx := ctxT(t)
	// A server of its own: the hub's connections may not watch the
	// JetStream API.
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, JetStream: true, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var asked []string
	watch := func(m *nats.Msg) {
		var c struct {
			Name        string `json:"name"`
			AllowDirect bool   `json:"allow_direct"`
		}
		if err := json.Unmarshal(m.Data, &c); err != nil {
			t.Errorf("stream request on %s: %v", m.Subject, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if c.AllowDirect {
			asked = append(asked, c.Name)
		}
	}
	for _, subj := range []string{"$JS.API.STREAM.CREATE.>", "$JS.API.STREAM.UPDATE.>"} {
		sub, err := nc.Subscribe(subj, watch)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultHub()
	cfg.Network = testNetwork
	buckets := []string{protocol.RosterBucket(testNetwork)}
	// Twice, as two servers would: the first creates, the second updates.
	for range 2 {
		if _, err := createRosterBucket(ctx, js, cfg); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []jetstream.KeyValueConfig{witnessStateConfig(cfg.Network, 1), witnessAlarmConfig(cfg.Network, 1), attachBucketConfig(cfg)} {
		for range 2 {
			if _, err := ensureBucket(ctx, js, c); err != nil {
				t.Fatal(err)
			}
		}
		buckets = append(buckets, c.Bucket)
	}
	for _, b := range buckets {
		kv, err := js.KeyValue(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Get(ctx, "none"); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("read of bucket %s through a handle bound after its setup: %v, want key not found", b, err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 0 {
		t.Fatalf("bucket setup asked for direct gets on %v", asked)
	}
}
