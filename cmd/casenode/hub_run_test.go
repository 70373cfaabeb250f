package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/node/hubconn"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testEnv(stdout, stderr *syncBuffer) *env {
	return &env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: func(string) string { return "" }, now: time.Now}
}

// TestHubRun runs 'casenode hub run', admits an agency while it runs and
// checks that the agency can then bind its inbox and read the new roster.
func TestHubRun(t *testing.T) {
	dir := t.TempDir()
	h := filepath.Join(dir, "H")
	var out, errOut syncBuffer
	e := testEnv(&out, &errOut)
	ctx := context.Background()
	if err := runHubInit(ctx, e, []string{"--dir", h, "--network", "wacap", "--country", "SN", "--classic", "--listen", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	if err := runInit(ctx, e, []string{"--dir", filepath.Join(dir, "accra"), "--network", "wacap", "--agency", "gh-ag", "--name", "AG", "--country", "GH", "--classic"}); err != nil {
		t.Fatal(err)
	}

	var log syncBuffer
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runHubRun(runCtx, testEnv(&out, &log), []string{"--dir", h}) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("hub run: %v", err)
		}
		if !strings.Contains(log.String(), "hub stopping") {
			t.Errorf("no stop in the log:\n%s", log.String())
		}
	}()
	listening := regexp.MustCompile(`msg="hub listening" url=(nats://127\.0\.0\.1:[0-9]+) network=wacap roster_serial=1`)
	poll.Until(t, 10*time.Second, "the hub to listen", func() bool { return listening.MatchString(log.String()) })
	url := listening.FindStringSubmatch(log.String())[1]

	if err := runMemberAdd(ctx, e, []string{"--dir", h, filepath.Join(dir, "accra", "member.json")}); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "the new roster", func() bool { return strings.Contains(log.String(), `msg="roster published" serial=2`) })

	nkey, err := nats.NkeyOptionFromSeed(filepath.Join(h, hub.CredsDir, "gh-ag.creds"))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, nkey, nats.CustomInboxPrefix(protocol.InboxPrefix("gh-ag")))
	if err != nil {
		t.Fatalf("new member connects: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := js.Consumer(cctx, protocol.StreamName("wacap"), protocol.ConsumerName("gh-ag")); err != nil {
		t.Fatalf("new member binds its inbox: %v", err)
	}
	kv, err := js.KeyValue(cctx, protocol.RosterBucket("wacap"))
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(cctx, protocol.RosterKey)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(h, hub.RosterFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(entry.Value(), want) {
		t.Fatal("the roster in the bucket is not roster.jws")
	}

	// A second hub on the same directory is refused at once.
	var log2 syncBuffer
	err = runHubRun(ctx, testEnv(&out, &log2), []string{"--dir", h})
	if err == nil || !strings.Contains(err.Error(), "another hub is already running on") {
		t.Fatalf("second hub run: %v", err)
	}
}

// TestHubRunServesTLS runs 'casenode hub run' on a hub made with --tls and
// mutual TLS, and connects as an admitted agency's node does, with the
// network CA and its client certificate.
func TestHubRunServesTLS(t *testing.T) {
	dir := t.TempDir()
	h := filepath.Join(dir, "H")
	var out, errOut syncBuffer
	e := testEnv(&out, &errOut)
	ctx := context.Background()
	if err := runHubInit(ctx, e, []string{"--dir", h, "--network", "wacap", "--country", "SN", "--classic", "--listen", "127.0.0.1:0", "--tls", "--tls-verify-clients"}); err != nil {
		t.Fatal(err)
	}
	if err := runInit(ctx, e, []string{"--dir", filepath.Join(dir, "accra"), "--network", "wacap", "--agency", "gh-ag", "--name", "AG", "--country", "GH", "--classic"}); err != nil {
		t.Fatal(err)
	}
	if err := runMemberAdd(ctx, e, []string{"--dir", h, filepath.Join(dir, "accra", "member.json")}); err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runHubRun(runCtx, testEnv(&out, &log), []string{"--dir", h}) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("hub run: %v", err)
		}
	}()
	listening := regexp.MustCompile(`msg="hub listening" url=(tls://127\.0\.0\.1:[0-9]+) .* tls=mutual`)
	poll.Until(t, 10*time.Second, "the hub to listen", func() bool { return listening.MatchString(log.String()) })

	cfg := config.DefaultNode()
	cfg.Network, cfg.Agency = "wacap", "gh-ag"
	cfg.HubURLs = []string{listening.FindStringSubmatch(log.String())[1]}
	cfg.CredsFile = filepath.Join(h, hub.CredsDir, "gh-ag.creds")
	cfg.CAFile = filepath.Join(h, hub.CACertFile)
	cfg.TLSCertFile, cfg.TLSKeyFile = hub.ClientCertPaths(cfg.CredsFile)
	nc, err := hubconn.Connect(cfg, nats.RetryOnFailedConnect(false))
	if err != nil {
		t.Fatalf("the agency connects over mutual TLS: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := js.Consumer(cctx, protocol.StreamName("wacap"), protocol.ConsumerName("gh-ag")); err != nil {
		t.Fatalf("bind the inbox over TLS: %v", err)
	}
	// The same agency without its client certificate is refused.
	cfg.TLSCertFile, cfg.TLSKeyFile = "", ""
	if nc, err := hubconn.Connect(cfg, nats.RetryOnFailedConnect(false), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("connected without a client certificate")
	}
}
