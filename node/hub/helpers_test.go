package hub

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/hubconn"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const testNetwork = "wacap"

// testNet is a hub directory with its running hub and the credentials of
// each member.
type testNet struct {
	dir   string
	hub   *Hub
	creds map[string]string
	ids   map[string]*identity.Identity
	now   time.Time
	// tls is the network's TLS, nil for plain TCP; certs holds each
	// agency's client certificate with mutual TLS.
	tls   *TLSOptions
	certs map[string][2]string
	// logs is what the hub logged at warn level and above.
	logs *logBuffer
}

// logBuffer collects log lines for tests to look for.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitLog waits until the hub has logged a line containing all of want.
func (n *testNet) waitLog(t *testing.T, want ...string) {
	t.Helper()
	poll.Until(t, 10*time.Second, "a log line with "+strings.Join(want, " "), func() bool {
		for line := range strings.SplitSeq(n.logs.String(), "\n") {
			if containsAll(line, want) {
				return true
			}
		}
		return false
	})
}

// newTestNet creates a hub directory whose roster lists the secretariat and
// agencies, and starts its hub on a random port.
func newTestNet(t testing.TB, agencies ...string) *testNet {
	t.Helper()
	return newNet(t, nil, agencies...)
}

// newTLSNet is newTestNet with a network CA, the hub serving TLS, and
// client certificates for every agency when mutual.
func newTLSNet(t *testing.T, mutual bool, agencies ...string) *testNet {
	t.Helper()
	return newNet(t, &TLSOptions{VerifyClients: mutual}, agencies...)
}

func newNet(t testing.TB, tlsOpts *TLSOptions, agencies ...string) *testNet {
	t.Helper()
	n := &testNet{dir: t.TempDir(), creds: map[string]string{}, ids: map[string]*identity.Identity{}, now: time.Now().Add(-time.Minute),
		tls: tlsOpts, certs: map[string][2]string{}, logs: &logBuffer{}}
	res, err := Init(n.dir, InitOptions{Network: testNetwork, Country: "SN", Kind: protocol.KindClassic, Listen: "127.0.0.1:0", Now: n.now, TLS: tlsOpts})
	if err != nil {
		t.Fatal(err)
	}
	n.creds[res.Card.Agency] = res.AgencyCreds
	if res.AgencyCert != "" {
		n.certs[res.Card.Agency] = [2]string{res.AgencyCert, res.AgencyKey}
	}
	for _, a := range agencies {
		n.add(t, a)
	}
	n.start(t)
	return n
}

// add admits agency through the secretariat.
func (n *testNet) add(t testing.TB, agency string) *SignedRoster {
	t.Helper()
	id, err := identity.Generate(testNetwork, agency, "Agency "+agency, "GH", protocol.KindClassic, n.now)
	if err != nil {
		t.Fatal(err)
	}
	n.ids[agency] = id
	s, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n.creds[agency] = filepath.Join(n.dir, CredsDir, agency+".creds")
	sr, err := s.Add(id.Card, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n.tls != nil && n.tls.VerifyClients {
		c, err := s.IssueClientCert(agency, "", "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		n.certs[agency] = [2]string{c.CertFile, c.KeyFile}
	}
	return sr
}

func (n *testNet) start(t testing.TB) {
	t.Helper()
	if n.logs == nil {
		n.logs = &logBuffer{}
	}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, n.logs), &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := Open(context.Background(), n.dir, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	n.hub = h
	t.Cleanup(func() { h.Close() })
}

// agencyConn is an agency node's connection, made as the connection
// contract says, with the asynchronous errors it received.
type agencyConn struct {
	nc *nats.Conn
	js jetstream.JetStream

	mu   sync.Mutex
	errs []error
}

func (n *testNet) connect(t testing.TB, agency string) *agencyConn {
	t.Helper()
	c, err := n.dial(agency)
	if err != nil {
		t.Fatalf("connect as %s: %v", agency, err)
	}
	t.Cleanup(c.nc.Close)
	return c
}

// nodeConfig is the configuration an agency's node would have: the hub's
// URL, its credentials and, with TLS, the network CA and its client
// certificate.
func (n *testNet) nodeConfig(agency string) *config.Node {
	cfg := config.DefaultNode()
	cfg.Network, cfg.Agency = testNetwork, agency
	cfg.HubURLs = []string{n.hub.ClientURL()}
	cfg.CredsFile = n.creds[agency]
	if n.tls != nil {
		cfg.CAFile = filepath.Join(n.dir, CACertFile)
	}
	if c, ok := n.certs[agency]; ok {
		cfg.TLSCertFile, cfg.TLSKeyFile = c[0], c[1]
	}
	return cfg
}

// dial connects as agency's node does (node/hubconn), but without
// reconnecting, and collects the asynchronous errors.
func (n *testNet) dial(agency string, extra ...nats.Option) (*agencyConn, error) {
	return dialConfig(n.nodeConfig(agency), extra...)
}

func dialConfig(cfg *config.Node, extra ...nats.Option) (*agencyConn, error) {
	c := &agencyConn{}
	opts := append([]nats.Option{
		nats.NoReconnect(),
		nats.RetryOnFailedConnect(false),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			c.mu.Lock()
			c.errs = append(c.errs, err)
			c.mu.Unlock()
		}),
	}, extra...)
	var err error
	if c.nc, err = hubconn.Connect(cfg, opts...); err != nil {
		return nil, err
	}
	if c.js, err = jetstream.New(c.nc); err != nil {
		c.nc.Close()
		return nil, err
	}
	return c, nil
}

// waitError waits for an asynchronous error containing all of want.
func (c *agencyConn) waitError(t *testing.T, want ...string) {
	t.Helper()
	poll.Until(t, 10*time.Second, "an asynchronous error "+strings.Join(want, " "), func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, err := range c.errs {
			if containsAll(err.Error(), want) {
				return true
			}
		}
		return false
	})
}

func containsAll(s string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
