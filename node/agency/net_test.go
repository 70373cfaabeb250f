package agency_test

import (
	"context"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

// testNetwork is a whole network in one process: a hub on a random
// loopback port and the nodes of several agencies, each in a directory of
// its own, joined and running.
type testNetwork struct {
	t       testing.TB
	network string
	hubDir  string
	hub     *hub.Hub
	listen  string // the hub's address, kept across restarts
	secCard *protocol.MemberCard
	caFile  string // the network CA, with TLS
	nodes   map[string]*testNode
	opts    netOptions
}

// testNode is one agency of a test network.
type testNode struct {
	agency string
	dir    string
	id     *identity.Identity
	creds  string
	cert   *hub.ClientCert // with TLS
	node   *agency.Node
	cancel context.CancelFunc
	done   chan struct{}
}

// netOptions shape a test network.
type netOptions struct {
	// Kind is the network's recipient kind; empty means classic (fast).
	Kind protocol.RecipientKind
	// Node adjusts the nodes' options.
	Node func(*agency.Options)
	// Idle lists agencies admitted and joined whose nodes are not started.
	Idle []string
	// TLS makes the hub serve mutual TLS with a network CA; nodes connect
	// with tls:// URLs, the CA and client certificates.
	TLS bool
	// Hub adjusts hub.json before the hub starts.
	Hub func(*config.Hub)
	// Config adjusts each node's node.json.
	Config func(*config.Node)
}

// newNetwork starts a hub and one running node per agency, and waits until
// every node is online with the roster that lists them all.
func newNetwork(t testing.TB, o netOptions, agencies ...string) *testNetwork {
	t.Helper()
	if o.Kind == "" {
		o.Kind = protocol.KindClassic
	}
	root := t.TempDir()
	w := &testNetwork{t: t, network: "wacap", hubDir: filepath.Join(root, "hub"), nodes: map[string]*testNode{}, opts: o}
	io := hub.InitOptions{Network: w.network, Country: "SN", Kind: o.Kind, Listen: "127.0.0.1:0", Now: time.Now()}
	if o.TLS {
		io.TLS = &hub.TLSOptions{VerifyClients: true}
	}
	res, err := hub.Init(w.hubDir, io)
	if err != nil {
		t.Fatal(err)
	}
	w.secCard = res.Card
	if res.TLS != nil {
		w.caFile = res.TLS.CAFile
	}
	if o.Hub != nil {
		w.editHub(o.Hub)
	}
	w.startHub("127.0.0.1:0")
	t.Cleanup(w.stop)

	sec, err := hub.OpenSecretariat(w.hubDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]string(nil), agencies...), o.Idle...)
	for _, a := range all {
		tn := &testNode{agency: a, dir: filepath.Join(root, a)}
		if tn.id, err = identity.Generate(w.network, a, "Agency "+a, "SN", o.Kind, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := tn.id.Save(tn.dir, nil); err != nil {
			t.Fatal(err)
		}
		tn.creds = filepath.Join(w.hubDir, hub.CredsDir, a+".creds")
		if _, err := sec.Add(tn.id.Card, tn.creds, time.Now()); err != nil {
			t.Fatal(err)
		}
		if o.TLS {
			if tn.cert, err = sec.IssueClientCert(a, "", "", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		w.join(tn)
		w.nodes[a] = tn
	}
	sec.Close()
	if err := w.hub.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, a := range agencies {
		w.start(a)
	}
	for _, a := range agencies {
		w.waitReady(a, len(all)+1)
	}
	return w
}

// startHub opens the hub listening on listen.
func (w *testNetwork) startHub(listen string) {
	w.t.Helper()
	h, err := hub.Open(context.Background(), w.hubDir, hub.Options{Listen: listen, Logger: testLogger("hub"), PollInterval: time.Hour})
	if err != nil {
		w.t.Fatal(err)
	}
	w.hub = h
	u, err := url.Parse(h.ClientURL())
	if err != nil {
		w.t.Fatal(err)
	}
	w.listen = u.Host
}

// stopHub shuts the hub down; restartHub brings it back on the same port.
func (w *testNetwork) stopHub() {
	if w.hub != nil {
		w.hub.Close()
		w.hub = nil
	}
}

func (w *testNetwork) restartHub() { w.startHub(w.listen) }

// editHub changes the hub's hub.json.
func (w *testNetwork) editHub(edit func(*config.Hub)) {
	w.t.Helper()
	data, err := os.ReadFile(filepath.Join(w.hubDir, config.HubFile))
	if err != nil {
		w.t.Fatal(err)
	}
	cfg, err := config.ParseHub(data)
	if err != nil {
		w.t.Fatal(err)
	}
	edit(cfg)
	if data, err = cfg.Marshal(); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.hubDir, config.HubFile), data, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// join writes the node's configuration as 'casenode join' does.
func (w *testNetwork) join(tn *testNode) {
	w.t.Helper()
	data, err := os.ReadFile(tn.creds)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tn.dir, config.DefaultCredsFile), data, 0o600); err != nil {
		w.t.Fatal(err)
	}
	cfg := config.DefaultNode()
	cfg.Network, cfg.Agency = w.network, tn.agency
	cfg.HubURLs = []string{"nats://" + w.listen}
	if tn.cert != nil {
		cfg.HubURLs = []string{"tls://" + w.listen}
		cfg.CAFile, cfg.TLSCertFile, cfg.TLSKeyFile = w.caFile, tn.cert.CertFile, tn.cert.KeyFile
	}
	key := w.secCard.SigningKey
	cfg.SecretariatKey = &key
	cfg.ResendTimeout = config.Duration(2 * time.Second)
	if w.opts.Config != nil {
		w.opts.Config(cfg)
	}
	if err := cfg.Validate(); err != nil {
		w.t.Fatal(err)
	}
	b, err := cfg.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tn.dir, config.NodeFile), b, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// nodeOptions are the options every test node runs with: fast reconnects
// and roster reads, overridden by netOptions.Node.
func (w *testNetwork) nodeOptions(name string) agency.Options {
	o := agency.Options{
		Logger:           testLogger(name),
		ReconnectWait:    20 * time.Millisecond,
		MaxReconnectWait: 200 * time.Millisecond,
		RosterInterval:   time.Second,
	}
	if w.opts.Node != nil {
		w.opts.Node(&o)
	}
	return o
}

// start opens and runs name's node.
func (w *testNetwork) start(name string) *agency.Node {
	w.t.Helper()
	tn := w.nodes[name]
	n, err := agency.Open(context.Background(), tn.dir, w.nodeOptions(name))
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn.node, tn.cancel, tn.done = n, cancel, make(chan struct{})
	go func() {
		defer close(tn.done)
		if err := n.Run(ctx); err != nil {
			w.t.Errorf("%s: run: %v", name, err)
		}
	}()
	return n
}

// stopNode stops and closes name's node.
func (w *testNetwork) stopNode(agency string) {
	tn := w.nodes[agency]
	if tn.node == nil {
		return
	}
	tn.cancel()
	<-tn.done
	if err := tn.node.Close(); err != nil {
		w.t.Errorf("%s: close: %v", agency, err)
	}
	tn.node = nil
}

func (w *testNetwork) stop() {
	var wg sync.WaitGroup
	for a := range w.nodes {
		wg.Go(func() { w.stopNode(a) })
	}
	wg.Wait()
	w.stopHub()
}

// node returns agency's running node.
func (w *testNetwork) node(agency string) *agency.Node {
	w.t.Helper()
	n := w.nodes[agency].node
	if n == nil {
		w.t.Fatalf("node %s is not running", agency)
	}
	return n
}

// waitReady waits until agency's node is online with a roster of at least
// members members.
func (w *testNetwork) waitReady(agency string, members int) {
	w.t.Helper()
	n := w.node(agency)
	poll.Until(w.t, 20*time.Second, agency+" online with the roster", func() bool {
		s, err := n.Status(context.Background())
		return err == nil && s.Hub.State == "online" && s.Roster != nil && s.Roster.Members >= members
	})
}

// testLogger logs to stderr when CASENODE_TEST_LOG is set.
func testLogger(name string) *slog.Logger {
	if os.Getenv("CASENODE_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("who", name)
}
