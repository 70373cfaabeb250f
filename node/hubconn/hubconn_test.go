package hubconn_test

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/node/hubconn"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// network is a running hub with mutual TLS and one admitted agency, gh-ag,
// whose node configuration is cfg.
type network struct {
	dir string
	hub *hub.Hub
	cfg *config.Node
}

func newNetwork(t *testing.T, mutual bool) *network {
	t.Helper()
	dir := t.TempDir()
	if _, err := hub.Init(dir, hub.InitOptions{Network: "wacap", Country: "SN", Kind: protocol.KindClassic, Listen: "127.0.0.1:0", Now: time.Now(),
		TLS: &hub.TLSOptions{VerifyClients: mutual}}); err != nil {
		t.Fatal(err)
	}
	id, err := identity.Generate("wacap", "gh-ag", "Office of the Attorney-General", "GH", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := hub.OpenSecretariat(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	node := t.TempDir()
	cfg := config.DefaultNode()
	cfg.Network, cfg.Agency = "wacap", "gh-ag"
	cfg.CredsFile = filepath.Join(node, config.DefaultCredsFile)
	cfg.CAFile = filepath.Join(dir, hub.CACertFile)
	if _, err := s.Add(id.Card, cfg.CredsFile, time.Now()); err != nil {
		t.Fatal(err)
	}
	if mutual {
		c, err := s.IssueClientCert("gh-ag", filepath.Join(node, "client.crt"), "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLSCertFile, cfg.TLSKeyFile = c.CertFile, c.KeyFile
	}
	s.Close()
	h, err := hub.Open(context.Background(), dir, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	cfg.HubURLs = []string{h.ClientURL()}
	return &network{dir: dir, hub: h, cfg: cfg}
}

func TestConnectAsTheContractSays(t *testing.T) {
	n := newNetwork(t, true)
	nc, err := hubconn.Connect(n.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	poll.Until(t, 10*time.Second, "the connection", nc.IsConnected)
	st, err := nc.TLSConnectionState()
	if err != nil || st.Version != tls.VersionTLS13 || len(st.PeerCertificates) == 0 {
		t.Fatalf("TLS state %+v, %v", st, err)
	}
	if !nc.Opts.AllowReconnect || nc.Opts.MaxReconnect != -1 || !nc.Opts.RetryOnFailedConnect || !nc.Opts.IgnoreAuthErrorAbort {
		t.Fatal("the connection does not reconnect forever")
	}
	if nc.Opts.InboxPrefix != protocol.InboxPrefix("gh-ag") || nc.Opts.Name != "casenode gh-ag" {
		t.Fatalf("inbox prefix %q, name %q", nc.Opts.InboxPrefix, nc.Opts.Name)
	}
	// Requests get their replies on the agency's own inbox: the JetStream
	// calls of the contract work.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Consumer(ctx, protocol.StreamName("wacap"), protocol.ConsumerName("gh-ag")); err != nil {
		t.Fatalf("bind the inbox consumer: %v", err)
	}
	kv, err := js.KeyValue(ctx, protocol.RosterBucket("wacap"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(ctx, protocol.RosterKey); err != nil {
		t.Fatalf("read the roster: %v", err)
	}
}

func TestRefusesAHubWithoutTLS(t *testing.T) {
	dir := t.TempDir()
	if _, err := hub.Init(dir, hub.InitOptions{Network: "wacap", Country: "SN", Kind: protocol.KindClassic, Listen: "127.0.0.1:0", Now: time.Now(), CredsOut: filepath.Join(dir, "sec.creds")}); err != nil {
		t.Fatal(err)
	}
	h, err := hub.Open(context.Background(), dir, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	tlsNet := newNetwork(t, false)
	cfg := *tlsNet.cfg // trusts a network CA...
	cfg.Agency = "wacap-secretariat"
	cfg.CredsFile = filepath.Join(dir, "sec.creds")
	cfg.HubURLs = []string{h.ClientURL()} // ...but the hub offers no TLS
	_, err = hubconn.Connect(&cfg, nats.RetryOnFailedConnect(false), nats.NoReconnect())
	if !errors.Is(err, nats.ErrSecureConnWanted) {
		t.Fatalf("connect to a plain hub with a CA configured: %v, want %v", err, nats.ErrSecureConnWanted)
	}
	// Without a CA and with a nats:// URL, the connection is plain: that is
	// what Plaintext says (here, to this machine only).
	cfg.CAFile = ""
	if hubconn.Plaintext(&cfg) {
		t.Fatal("a loopback hub counts as plain TCP beyond this machine")
	}
	nc, err := hubconn.Connect(&cfg, nats.RetryOnFailedConnect(false), nats.NoReconnect())
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
}

func TestOptionsRefuse(t *testing.T) {
	n := newNetwork(t, true)
	tests := []struct {
		name   string
		change func(t *testing.T, cfg *config.Node)
		want   string
		hint   string
	}{
		{"readable creds", func(t *testing.T, cfg *config.Node) { chmod(t, cfg.CredsFile, 0o640) }, "has mode 0640", "chmod 600"},
		{"missing creds", func(t *testing.T, cfg *config.Node) { cfg.CredsFile += ".gone" }, "hub credentials: ", "secretariat hands it over"},
		{"not creds", func(t *testing.T, cfg *config.Node) { write(t, cfg.CredsFile, "junk", 0o600) }, "hub credentials", "creds_file"},
		{"readable client key", func(t *testing.T, cfg *config.Node) { chmod(t, cfg.TLSKeyFile, 0o644) }, "TLS client key", "chmod 600"},
		{"junk CA", func(t *testing.T, cfg *config.Node) { write(t, cfg.CAFile, "junk", 0o644) }, "holds no PEM certificate", "network CA certificate"},
		{"missing CA", func(t *testing.T, cfg *config.Node) { cfg.CAFile += ".gone" }, "ca_file: ", "network CA certificate"},
		{"mismatched client key", func(t *testing.T, cfg *config.Node) { cfg.TLSCertFile = filepath.Join(n.dir, hub.HubCertFile) }, "TLS client certificate", "tls_cert_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := copyConfig(t, n.cfg)
			tt.change(t, cfg)
			_, err := hubconn.Options(cfg)
			var he *hint.Error
			if !errors.As(err, &he) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(he.Hint(), tt.hint) {
				t.Fatalf("Options = %v, want %q with hint %q", err, tt.want, tt.hint)
			}
		})
	}
}

func TestPlaintext(t *testing.T) {
	cfg := config.DefaultNode()
	for urls, want := range map[string]bool{
		"nats://hub.wacap.example:4222":                      true,
		"nats://127.0.0.1:4222":                              false,
		"nats://localhost:4222,nats://[::1]:4222":            false,
		"nats://127.0.0.1:4222,nats://10.0.0.1:4222":         true,
		"tls://hub.wacap.example:4222":                       false,
		"tls://hub.wacap.example:4222,nats://hub2.example:1": false, // Secure applies to every server
	} {
		cfg.HubURLs = strings.Split(urls, ",")
		if got := hubconn.Plaintext(cfg); got != want {
			t.Errorf("Plaintext(%s) = %v", urls, got)
		}
	}
	cfg.HubURLs = []string{"nats://hub.wacap.example:4222"}
	cfg.CAFile = "ca.crt"
	if hubconn.Plaintext(cfg) {
		t.Error("a node with a CA counts as plain")
	}
}

// copyConfig copies cfg and its secret files, so that a test may spoil
// them.
func copyConfig(t *testing.T, cfg *config.Node) *config.Node {
	t.Helper()
	c := *cfg
	dir := t.TempDir()
	for _, p := range []*string{&c.CredsFile, &c.CAFile, &c.TLSCertFile, &c.TLSKeyFile} {
		b, err := os.ReadFile(*p)
		if err != nil {
			t.Fatal(err)
		}
		*p = filepath.Join(dir, filepath.Base(*p))
		write(t, *p, string(b), 0o600)
	}
	return &c
}

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, mode)
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
