package config

import "fmt"

// HubTLS is the hub's TLS configuration, the "tls" object of hub.json. A
// hub without it serves plain TCP: reach it only through a VPN or a tunnel.
type HubTLS struct {
	// CertFile and KeyFile are the hub's certificate (PEM, the chain up to
	// the CA) and its private key. Both set turns TLS on.
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"`
	// CAFile is the network CA's certificate: the one nodes trust for the
	// hub, and the one that signs agencies' client certificates.
	CAFile string `json:"ca_file,omitempty"`
	// VerifyClients makes TLS mutual: a client must present a certificate
	// signed by CAFile, on top of its NKey credentials.
	VerifyClients bool `json:"verify_clients,omitempty"`
}

// Enabled says whether the hub serves TLS.
func (t *HubTLS) Enabled() bool { return t.CertFile != "" }

// validate checks the TLS object of hub.json.
func (t *HubTLS) validate() error {
	if t.CertFile == "" && t.KeyFile == "" && t.CAFile == "" && !t.VerifyClients {
		return nil
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return fmt.Errorf("hub.tls: cert_file and key_file must both be set (or the whole tls object left out); 'casenode hub tls' makes them")
	}
	if err := checkPath("hub.tls.cert_file", t.CertFile); err != nil {
		return err
	}
	if err := checkPath("hub.tls.key_file", t.KeyFile); err != nil {
		return err
	}
	if t.VerifyClients && t.CAFile == "" {
		return fmt.Errorf("hub.tls.verify_clients: needs ca_file, the CA that signs the agencies' client certificates")
	}
	return nil
}

// resolve makes the TLS paths relative to dir.
func (t *HubTLS) resolve(dir string) {
	t.CertFile = resolve(dir, t.CertFile)
	t.KeyFile = resolve(dir, t.KeyFile)
	t.CAFile = resolve(dir, t.CAFile)
}

// checkNodeTLS checks a node's TLS files: a client certificate needs its
// key, and the other way round.
func checkNodeTLS(n *Node) error {
	if (n.TLSCertFile == "") != (n.TLSKeyFile == "") {
		return fmt.Errorf("node.tls_cert_file, node.tls_key_file: set both (the client certificate and its key from the secretariat) or neither")
	}
	return nil
}
