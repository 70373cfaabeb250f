package hub

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/tlsca"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
)

// otherCA writes the certificate of a CA that is not the network's, and a
// client certificate it issued, and returns their paths.
func otherCA(t *testing.T) (caFile, certFile, keyFile string) {
	t.Helper()
	ca, pair, err := tlsca.New("not the network CA", tlsca.ECDSAP256, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cli, err := ca.IssueClient(gh, tlsca.ECDSAP256, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, certFile, keyFile = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	for p, b := range map[string][]byte{caFile: pair.CertPEM, certFile: cli.CertPEM, keyFile: cli.KeyPEM} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caFile, certFile, keyFile
}

func isUnknownAuthority(err error) bool {
	var ua x509.UnknownAuthorityError
	return errors.As(err, &ua) || err != nil && strings.Contains(err.Error(), "certificate signed by unknown authority")
}

// isTLSRefusal says whether err is the hub refusing a TLS handshake: its
// alert (alert), or the connection it closed right after the handshake
// when the alert lost the race with the client's first write.
func isTLSRefusal(err error, alert string) bool {
	return err != nil && (strings.Contains(err.Error(), alert) || strings.Contains(err.Error(), "connection closed by remote after TLS handshake"))
}

func TestTLSHubIsVerifiedAgainstTheNetworkCA(t *testing.T) {
	t.Parallel()
	n := newTLSNet(t, false, gh)
	if u := n.hub.ClientURL(); !strings.HasPrefix(u, "tls://127.0.0.1:") {
		t.Fatalf("client URL %s", u)
	}

	// The right CA: TLS 1.3, the hub's certificate verified.
	c := n.connect(t, gh)
	st, err := c.nc.TLSConnectionState()
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != tls.VersionTLS13 || len(st.VerifiedChains) == 0 {
		t.Fatalf("TLS version %x, %d verified chains", st.Version, len(st.VerifiedChains))
	}
	if _, err := c.js.Consumer(ctxT(t), stream, protocol.ConsumerName(gh)); err != nil {
		t.Fatalf("bind own consumer over TLS: %v", err)
	}

	// Another CA: the node refuses the hub.
	wrongCA, _, _ := otherCA(t)
	cfg := n.nodeConfig(gh)
	cfg.CAFile = wrongCA
	if _, err := dialConfig(cfg); !isUnknownAuthority(err) {
		t.Fatalf("connect trusting another CA: %v, want an unknown authority", err)
	}
	// No CA: the system's roots do not know the network CA either.
	cfg.CAFile = ""
	if _, err := dialConfig(cfg); !isUnknownAuthority(err) {
		t.Fatalf("connect with the system's roots: %v, want an unknown authority", err)
	}
	// A plain client is upgraded by the hub and refuses it the same way.
	nkey, err := nats.NkeyOptionFromSeed(n.creds[gh])
	if err != nil {
		t.Fatal(err)
	}
	plainURL := strings.Replace(n.hub.ClientURL(), "tls://", "nats://", 1)
	if _, err := nats.Connect(plainURL, nkey, nats.NoReconnect()); !isUnknownAuthority(err) {
		t.Fatalf("plain client: %v", err)
	}
}

func TestTLSHubSpeaksOnlyTLS13(t *testing.T) {
	t.Parallel()
	n := newTLSNet(t, false, gh)
	cfg := n.nodeConfig(gh)
	tc, err := hubTLSConfigFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc.MinVersion, tc.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	nkey, err := nats.NkeyOptionFromSeed(n.creds[gh])
	if err != nil {
		t.Fatal(err)
	}
	_, err = nats.Connect(n.hub.ClientURL(), nkey, nats.Secure(tc), nats.NoReconnect())
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS 1.2 client: %v, want a protocol version alert", err)
	}
}

// hubTLSConfigFor is the TLS configuration a node of cfg uses.
func hubTLSConfigFor(cfg *config.Node) (*tls.Config, error) {
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool}, nil
}

func TestMutualTLSRefusesClientsWithoutTheirCertificate(t *testing.T) {
	t.Parallel()
	n := newTLSNet(t, true, gh)
	n.connect(t, gh)
	n.connect(t, "wacap-secretariat")
	n.connectAdmin(t)

	cfg := n.nodeConfig(gh)
	cfg.TLSCertFile, cfg.TLSKeyFile = "", ""
	if _, err := dialConfig(cfg); !isTLSRefusal(err, "certificate required") {
		t.Fatalf("a client without a certificate: %v, want the hub to require one", err)
	}
	// A certificate of another CA, presented even though the hub asks for
	// the network CA's.
	_, otherCert, otherKey := otherCA(t)
	foreign, err := tls.LoadX509KeyPair(otherCert, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := hubTLSConfigFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreign, nil }
	if _, err := dialConfig(cfg, nats.Secure(tc)); !isTLSRefusal(err, "unknown certificate authority") {
		t.Fatalf("a client certificate of another CA: %v, want it refused", err)
	}
	// A certificate alone is not enough: the NKey still decides who it is.
	cfg = n.nodeConfig(gh)
	cfg.CredsFile = filepath.Join(t.TempDir(), "none.creds")
	_, creds, err := newUser("stranger")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfg.CredsFile, creds, 0o600)
	if _, err := dialConfig(cfg); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("network certificate with unknown credentials: %v", err)
	}
}

func TestInitWithTLSWritesTheNetworkCA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res, err := Init(dir, InitOptions{Network: testNetwork, Country: "SN", Kind: protocol.KindClassic, Listen: "10.1.2.3:4222", Now: time.Now(),
		TLS: &TLSOptions{Hosts: []string{"hub.wacap.example"}, Alg: tlsca.Ed25519, VerifyClients: true}})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		CAKeyFile: 0o600, HubKeyFile: 0o600, AdminKeyFile: 0o600, CACertFile: 0o644, HubCertFile: 0o644, TLSDir: 0o700,
		filepath.Join(CredsDir, "wacap-secretariat.key"): 0o600,
	} {
		st, err := os.Stat(filepath.Join(dir, path))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %#o, want %#o", path, st.Mode().Perm(), want)
		}
	}
	if res.TLS == nil || !res.TLS.NewCA || strings.Join(res.TLS.Hosts, ",") != "hub.wacap.example,10.1.2.3,localhost,127.0.0.1" {
		t.Fatalf("TLS result %+v", res.TLS)
	}
	cfg, err := config.LoadHub(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS.CertFile != filepath.Join(dir, HubCertFile) || !cfg.TLS.VerifyClients || cfg.TLS.CAFile != filepath.Join(dir, CACertFile) {
		t.Fatalf("hub.json tls %+v", cfg.TLS)
	}
	// A bad host is refused before anything is written.
	bad := t.TempDir()
	if _, err := Init(bad, InitOptions{Network: testNetwork, Country: "SN", Now: time.Now(), TLS: &TLSOptions{Hosts: []string{"*.wacap.example"}}}); err == nil {
		t.Fatal("wildcard host accepted")
	}
	if entries, _ := os.ReadDir(bad); len(entries) != 0 {
		t.Fatalf("a refused init wrote %d entries", len(entries))
	}
}

func TestEnableTLSOnARunningNetworkKeepsTheCA(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh)
	n.hub.Close()
	res, err := EnableTLS(n.dir, TLSOptions{Hosts: []string{"hub.wacap.example"}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	caBefore, _ := os.ReadFile(res.CAFile)
	certBefore, _ := os.ReadFile(res.CertFile)
	n.tls = &TLSOptions{}
	n.start(t)
	n.connect(t, gh)

	// Renewing issues a new hub certificate from the same CA.
	again, err := EnableTLS(n.dir, TLSOptions{Hosts: []string{"hub.wacap.example", "hub2.wacap.example"}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	caAfter, _ := os.ReadFile(again.CAFile)
	certAfter, _ := os.ReadFile(again.CertFile)
	if again.NewCA || !bytes.Equal(caBefore, caAfter) || bytes.Equal(certBefore, certAfter) {
		t.Fatal("renewal changed the CA, or not the hub certificate")
	}
	n.hub.Close()
	n.start(t)
	n.connect(t, gh)
	// Renewing without names keeps the certificate's.
	kept, err := EnableTLS(n.dir, TLSOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kept.Hosts, ","); got != "hub.wacap.example,hub2.wacap.example,localhost,127.0.0.1" {
		t.Fatalf("renewal without names: %s", got)
	}

	// Without the CA key, no certificate can be issued.
	if err := os.Rename(filepath.Join(n.dir, CAKeyFile), filepath.Join(t.TempDir(), "ca.key")); err != nil {
		t.Fatal(err)
	}
	var te *hint.Error
	if _, err := EnableTLS(n.dir, TLSOptions{Now: time.Now()}); !errors.As(err, &te) || !strings.Contains(te.Hint(), "offline copy") {
		t.Fatalf("renew without the CA key: %v", err)
	}
}

func TestHubRefusesABadCertificate(t *testing.T) {
	t.Parallel()
	n := newTLSNet(t, false, gh)
	n.hub.Close()
	if err := os.WriteFile(filepath.Join(n.dir, HubKeyFile), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), n.dir, Options{Logger: testLogger(t)})
	var te *hint.Error
	if !errors.As(err, &te) || !strings.Contains(err.Error(), HubKeyFile) {
		t.Fatalf("open with a broken key: %v", err)
	}
}
