// Package hubconn builds an agency node's connection to its network's hub,
// as the node connection contract of docs/OPERATOR.md says: NKey
// credentials from the node's creds file, TLS 1.3 verified against the
// network CA of the node's configuration (and a client certificate when the
// hub verifies its clients), the agency's own request/reply inbox prefix,
// and reconnection forever.
//
// The node adds its own handlers (connect, disconnect, errors) to what
// Options returns; permission violations reach its ErrorHandler.
package hubconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
)

// Options returns the connection options of the node of cfg: credentials,
// TLS, inbox prefix, name, and reconnection forever (RetryOnFailedConnect:
// nats.Connect returns at once and keeps trying, even while the hub refuses
// the credentials). cfg is as config.LoadNode
// returns it, with its paths resolved against the node directory. Secret
// files readable by group or others are refused.
func Options(cfg *config.Node) ([]nats.Option, error) {
	creds := cfg.CredsFile
	if err := checkSecret(creds, "hub credentials"); err != nil {
		return nil, err
	}
	nkey, err := nats.NkeyOptionFromSeed(creds)
	if err != nil {
		return nil, &hint.Error{Msg: fmt.Sprintf("hub credentials %s: %v", creds, err),
			Fix: "creds_file is the file the secretariat handed over ('casenode member add' wrote it)"}
	}
	opts := []nats.Option{
		nkey,
		// The only subscribe permission besides the roster subject: without
		// it, no request (JetStream API call) gets its reply.
		nats.CustomInboxPrefix(protocol.InboxPrefix(cfg.Agency)),
		nats.Name("casenode " + cfg.Agency),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		// Keep trying after the hub refuses the credentials twice (nats.go
		// gives up by default): a node reconnects forever, and reports
		// each refusal ("Authorization Violation") to its ErrorHandler.
		nats.IgnoreAuthErrorAbort(),
	}
	tc, err := TLSConfig(cfg)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, nats.Secure(tc))
	}
	return opts, nil
}

// URL returns the server list to pass to nats.Connect.
func URL(cfg *config.Node) string { return strings.Join(cfg.HubURLs, ",") }

// Connect connects the node of cfg to its hub with Options, then extra.
func Connect(cfg *config.Node, extra ...nats.Option) (*nats.Conn, error) {
	opts, err := Options(cfg)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(URL(cfg), append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to the hub %s: %w", URL(cfg), err)
	}
	return nc, nil
}

// TLSConfig returns the node's TLS configuration, or nil when it connects
// in plain TCP: no ca_file, no client certificate and no tls:// URL. With
// TLS, only TLS 1.3 is spoken and the hub must present a certificate for
// the URL's host signed by ca_file (by the system's roots without one); a
// hub that does not offer TLS is refused.
func TLSConfig(cfg *config.Node) (*tls.Config, error) {
	if cfg.CAFile == "" && cfg.TLSCertFile == "" && !anyTLSURL(cfg.HubURLs) {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS13}
	if cfg.CAFile != "" {
		path := cfg.CAFile
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, &hint.Error{Msg: fmt.Sprintf("ca_file: %v", err), Fix: "ca_file is the network CA certificate (ca.crt) the secretariat hands over with the credentials"}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &hint.Error{Msg: fmt.Sprintf("ca_file %s holds no PEM certificate", path), Fix: "ca_file is the network CA certificate (ca.crt) the secretariat hands over with the credentials"}
		}
		tc.RootCAs = pool
	}
	if cfg.TLSCertFile != "" {
		certPath, keyPath := cfg.TLSCertFile, cfg.TLSKeyFile
		if err := checkSecret(keyPath, "TLS client key"); err != nil {
			return nil, err
		}
		cert, err := tls.LoadX509KeyPair(certPath, keyPath)
		if err != nil {
			return nil, &hint.Error{Msg: fmt.Sprintf("TLS client certificate %s, %s: %v", certPath, keyPath, err),
				Fix: "tls_cert_file and tls_key_file are the AGENCY.crt and AGENCY.key the secretariat hands over with the credentials"}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Plaintext says whether the node of cfg would talk to its hub in plain
// TCP beyond this machine: the node should warn that routing metadata and
// its authentication travel in clear (the messages stay sealed).
func Plaintext(cfg *config.Node) bool {
	if cfg.CAFile != "" || cfg.TLSCertFile != "" || anyTLSURL(cfg.HubURLs) {
		return false
	}
	for _, u := range cfg.HubURLs {
		p, err := url.Parse(u)
		if err != nil {
			return true
		}
		h := p.Hostname()
		if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return true
		}
	}
	return false
}

func anyTLSURL(urls []string) bool {
	for _, u := range urls {
		if strings.HasPrefix(u, "tls://") {
			return true
		}
	}
	return false
}

// checkSecret refuses a secret file that group or others may read.
func checkSecret(path, what string) error {
	st, err := os.Stat(path)
	if err != nil {
		return &hint.Error{Msg: fmt.Sprintf("%s: %v", what, err), Fix: "the secretariat hands it over; 'casenode join' copies it into the node directory"}
	}
	if st.Mode().Perm()&0o077 != 0 {
		return &hint.Error{Msg: fmt.Sprintf("%s %s has mode %#o: group and others must not have access", what, path, st.Mode().Perm()),
			Fix: "run: chmod 600 " + path}
	}
	if !st.Mode().IsRegular() {
		return &hint.Error{Msg: fmt.Sprintf("%s %s is not a regular file", what, path), Fix: "give the file itself"}
	}
	return nil
}
