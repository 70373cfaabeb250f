package hub

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/tlsca"
	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
)

// Files of the hub's TLS, in H/tls (see EnableTLS).
const (
	TLSDir         = "tls"
	CACertFile     = "tls/ca.crt"
	CAKeyFile      = "tls/ca.key"
	HubCertFile    = "tls/hub.crt"
	HubKeyFile     = "tls/hub.key"
	AdminCertFile  = "tls/admin.crt"
	AdminKeyFile   = "tls/admin.key"
	clientCertExt  = ".crt"
	clientKeyExt   = ".key"
	credsExt       = ".creds"
	tlsTimeoutSecs = 5 // a TLS handshake over a slow satellite link
)

// TLSOptions describe the TLS of a hub that has no PKI of its own.
type TLSOptions struct {
	// Hosts are the DNS names and IP addresses agencies reach the hub at,
	// as in their hub URLs. The listen host (unless it is a wildcard),
	// localhost and 127.0.0.1 are added. Empty when renewing keeps the
	// names of the current certificate.
	Hosts []string
	// Alg is the key algorithm; empty means tlsca.ECDSAP256.
	Alg tlsca.Algorithm
	// VerifyClients makes TLS mutual: every client also presents a
	// certificate of the network CA.
	VerifyClients bool
	// Now is the time the certificates start.
	Now time.Time
}

// TLSResult tells what EnableTLS made.
type TLSResult struct {
	// CAFile is the network CA certificate that every node trusts for the
	// hub (its config's ca_file). NewCA says whether it was made now.
	CAFile string
	NewCA  bool
	// CertFile is the hub's new certificate, valid for Hosts, and KeyFile
	// its key.
	CertFile, KeyFile string
	Hosts             []string
	NotAfter          time.Time
	// AdminCert and AdminKey are the admin user's client certificate, made
	// when clients are verified.
	AdminCert, AdminKey string
}

// EnableTLS makes the hub of directory dir serve TLS with a private network
// CA: it makes the CA in H/tls unless there is one (tls/ca.crt, and its key
// tls/ca.key, secret), issues the hub's certificate for o.Hosts (replacing
// an older one: that is how it is renewed), and sets the tls object of
// hub.json. A running hub takes it at its next start.
func EnableTLS(dir string, o TLSOptions) (*TLSResult, error) {
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	path := filepath.Join(dir, config.HubFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := config.ParseHub(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if cfg.TLS.Enabled() && cfg.TLS.CertFile != HubCertFile {
		return nil, &hint.Error{Msg: fmt.Sprintf("%s already uses the certificate %s, not one of casenode's network CA", path, cfg.TLS.CertFile),
			Fix: "renew that certificate with the PKI that issued it, or remove the tls object from hub.json first"}
	}
	res, err := enableTLS(dir, cfg, o)
	if err != nil {
		return nil, err
	}
	out, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	if err := durable.Replace(path, out, 0o644); err != nil {
		return nil, err
	}
	return res, nil
}

// enableTLS makes or loads the CA, issues the hub's certificate and sets
// cfg.TLS, with paths relative to dir. The caller holds the lock and writes
// cfg.
func enableTLS(dir string, cfg *config.Hub, o TLSOptions) (*TLSResult, error) {
	alg, err := tlsca.ParseAlgorithm(string(o.Alg))
	if err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		return nil, errors.New("enable TLS: no time given")
	}
	extra := o.Hosts
	if len(extra) == 0 {
		// A renewal without names keeps those of the certificate it renews.
		extra = currentHosts(filepath.Join(dir, HubCertFile))
	}
	hosts, err := certHosts(cfg.Listen, extra)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, TLSDir), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Join(dir, TLSDir), err)
	}
	res := &TLSResult{CAFile: filepath.Join(dir, CACertFile), CertFile: filepath.Join(dir, HubCertFile), KeyFile: filepath.Join(dir, HubKeyFile), Hosts: hosts}
	ca, err := loadCA(dir)
	if errors.Is(err, fs.ErrNotExist) {
		var pair *tlsca.Pair
		if ca, pair, err = tlsca.New("casenode network "+cfg.Network, alg, o.Now); err != nil {
			return nil, err
		}
		if err := writeExclusive(filepath.Join(dir, CAKeyFile), pair.KeyPEM, 0o600); err != nil {
			return nil, err
		}
		if err := writeExclusive(filepath.Join(dir, CACertFile), pair.CertPEM, 0o644); err != nil {
			return nil, err
		}
		res.NewCA = true
	} else if err != nil {
		return nil, err
	}
	srv, err := ca.IssueServer("casenode hub "+cfg.Network, hosts, alg, o.Now)
	if err != nil {
		return nil, err
	}
	if err := durable.Replace(filepath.Join(dir, HubKeyFile), srv.KeyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := durable.Replace(filepath.Join(dir, HubCertFile), srv.CertPEM, 0o644); err != nil {
		return nil, err
	}
	res.NotAfter = srv.Cert.NotAfter
	if o.VerifyClients {
		res.AdminCert, res.AdminKey = filepath.Join(dir, AdminCertFile), filepath.Join(dir, AdminKeyFile)
		if _, err := os.Stat(res.AdminCert); errors.Is(err, fs.ErrNotExist) {
			if _, err := issueClient(ca, "admin", res.AdminCert, res.AdminKey, ca.Algorithm(), o.Now); err != nil {
				return nil, err
			}
		}
	}
	cfg.TLS = config.HubTLS{CertFile: HubCertFile, KeyFile: HubKeyFile, CAFile: CACertFile, VerifyClients: o.VerifyClients || cfg.TLS.VerifyClients}
	return res, nil
}

// certHosts returns the names the hub's certificate is valid for.
func certHosts(listen string, extra []string) ([]string, error) {
	hosts := slices.Clone(extra)
	if host, _, err := net.SplitHostPort(listen); err == nil && host != "" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, host)
		}
	}
	hosts = append(hosts, "localhost", "127.0.0.1")
	var out []string
	for _, h := range hosts {
		if err := tlsca.ValidateHost(h); err != nil {
			return nil, &hint.Error{Msg: err.Error(), Fix: "give --tls-host the name or address agencies put in their hub URL, without port"}
		}
		if h = strings.ToLower(h); !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out, nil
}

// currentHosts returns the names of the hub's certificate at path, or none.
func currentHosts(path string) []string {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	cert, err := tlsca.ParseCertificate(pem)
	if err != nil {
		return nil
	}
	hosts := slices.Clone(cert.DNSNames)
	for _, ip := range cert.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	return hosts
}

// loadCA reads the network CA of the hub directory. An error wrapping
// fs.ErrNotExist means there is none.
func loadCA(dir string) (*tlsca.CA, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, err
	}
	keyPath := filepath.Join(dir, CAKeyFile)
	st, err := os.Stat(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &hint.Error{Msg: fmt.Sprintf("%s is there but not its key %s", filepath.Join(dir, CACertFile), keyPath),
			Fix: "bring the CA key back from its offline copy to issue certificates, then move it away again"}
	}
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, &hint.Error{Msg: fmt.Sprintf("the network CA key %s has mode %#o: group and others must not have access", keyPath, st.Mode().Perm()),
			Fix: "run: chmod 600 " + keyPath}
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	ca, err := tlsca.Load(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("network CA in %s: %w", filepath.Join(dir, TLSDir), err)
	}
	return ca, nil
}

// issueClient writes a client certificate for name, never overwriting one,
// and returns its expiry.
func issueClient(ca *tlsca.CA, name, certOut, keyOut string, alg tlsca.Algorithm, now time.Time) (time.Time, error) {
	p, err := ca.IssueClient(name, alg, now)
	if err != nil {
		return time.Time{}, err
	}
	if _, err := os.Lstat(certOut); err == nil {
		return time.Time{}, &ExistsError{Path: certOut}
	}
	if err := writeExclusive(keyOut, p.KeyPEM, 0o600); err != nil {
		return time.Time{}, err
	}
	if err := writeExclusive(certOut, p.CertPEM, 0o644); err != nil {
		os.Remove(keyOut)
		return time.Time{}, err
	}
	return p.Cert.NotAfter, nil
}

// ClientCert is a client certificate issued for an agency.
type ClientCert struct {
	CertFile, KeyFile string
	NotAfter          time.Time
}

// IssueClientCert issues a client certificate of the network CA for agency,
// an active member, for a hub that verifies its clients. The files go to
// certOut and keyOut (secret, 0600); empty means H/creds/AGENCY.crt and
// .key, next to its credentials. Neither is ever overwritten.
func (s *Secretariat) IssueClientCert(agency, certOut, keyOut string, now time.Time) (*ClientCert, error) {
	r := s.roster.Roster
	if m := r.Member(agency); m == nil || m.Status != protocol.StatusActive {
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is not an active member of network %s", agency, r.Network),
			Fix: "run 'casenode member list' to see the roster"}
	}
	ca, err := loadCA(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &hint.Error{Msg: fmt.Sprintf("the hub in %s has no network CA", s.dir),
			Fix: "make one with 'casenode hub tls --dir " + s.dir + "', or issue the certificate with your own PKI"}
	}
	if err != nil {
		return nil, err
	}
	if certOut == "" {
		certOut = filepath.Join(s.dir, CredsDir, agency+clientCertExt)
	}
	if keyOut == "" {
		keyOut = strings.TrimSuffix(certOut, clientCertExt) + clientKeyExt
	}
	if err := os.MkdirAll(filepath.Dir(certOut), 0o700); err != nil {
		return nil, err
	}
	notAfter, err := issueClient(ca, agency, certOut, keyOut, ca.Algorithm(), now)
	if err != nil {
		return nil, err
	}
	return &ClientCert{CertFile: certOut, KeyFile: keyOut, NotAfter: notAfter}, nil
}

// ClientCertPaths returns where a client certificate and key go next to a
// credentials file: gh-ag.creds gives gh-ag.crt and gh-ag.key.
func ClientCertPaths(credsFile string) (cert, key string) {
	base := strings.TrimSuffix(credsFile, credsExt)
	return base + clientCertExt, base + clientKeyExt
}

// Config returns the hub's configuration.
func (s *Secretariat) Config() *config.Hub { return s.cfg }

// Dir returns the hub directory.
func (s *Secretariat) Dir() string { return s.dir }

// serverTLS builds the server's TLS configuration, TLS 1.3 only, or nil
// when the hub serves plain TCP. It is built once per start, so that a
// reload of the users does not count as a TLS change.
func serverTLS(t *config.HubTLS) (*tls.Config, error) {
	if !t.Enabled() {
		return nil, nil
	}
	o := &server.TLSConfigOpts{CertFile: t.CertFile, KeyFile: t.KeyFile, Verify: t.VerifyClients, Timeout: tlsTimeoutSecs, MinVersion: tls.VersionTLS13}
	if t.VerifyClients {
		o.CaFile = t.CAFile
	}
	c, err := server.GenTLSConfig(o)
	if err != nil {
		return nil, &hint.Error{Msg: fmt.Sprintf("hub TLS (%s, %s): %v", t.CertFile, t.KeyFile, err),
			Fix: "check the tls object of hub.json; 'casenode hub tls --dir H' makes a certificate of the network CA"}
	}
	return c, nil
}
