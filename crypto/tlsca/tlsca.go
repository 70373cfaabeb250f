// Package tlsca is a network's private TLS certificate authority: it makes
// the CA, the hub's server certificate and agencies' client certificates,
// for a network that has no PKI of its own.
//
// TLS protects the connection between a node and its hub: the routing
// metadata (who writes to whom, when, which type) and the NKey
// authentication. It adds nothing to the messages, which are sealed end to
// end. Certificates are plain X.509 from crypto/x509, PEM-encoded; keys are
// ECDSA P-256 (the default, understood by every TLS stack) or Ed25519, in
// PKCS #8. The package does no I/O: the hub writes the files (secret keys
// with O_EXCL and mode 0600).
package tlsca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"time"
)

// Algorithm is the key algorithm of a certificate.
type Algorithm string

const (
	// ECDSAP256 is ECDSA on NIST P-256, the default.
	ECDSAP256 Algorithm = "ecdsa-p256"
	// Ed25519 is EdDSA on Curve25519; TLS 1.3 only.
	Ed25519 Algorithm = "ed25519"
)

// Validity periods. A CA outlives the certificates it signs; renewing the
// hub's certificate keeps the CA that every node trusts.
const (
	CAValidity     = 10 * 365 * 24 * time.Hour
	ServerValidity = 5 * 365 * 24 * time.Hour
	ClientValidity = 5 * 365 * 24 * time.Hour
	// backdate covers clocks that run behind the issuer's.
	backdate = time.Hour
)

// ParseAlgorithm checks an algorithm name; empty means ECDSAP256.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch Algorithm(s) {
	case "", ECDSAP256:
		return ECDSAP256, nil
	case Ed25519:
		return Ed25519, nil
	}
	return "", fmt.Errorf("unknown key algorithm %q: must be %s or %s", s, ECDSAP256, Ed25519)
}

// CA is a certificate authority: its certificate and its private key.
type CA struct {
	// Cert is the CA certificate; every node trusts it for the hub.
	Cert *x509.Certificate
	key  crypto.Signer
}

// Pair is an issued certificate and its private key, PEM-encoded.
type Pair struct {
	// CertPEM holds the certificate ("CERTIFICATE").
	CertPEM []byte
	// KeyPEM holds the private key ("PRIVATE KEY", PKCS #8). Secret.
	KeyPEM []byte
	// Cert is the parsed certificate.
	Cert *x509.Certificate
}

// New makes a CA named name (e.g. "casenode network wacap") with a fresh key.
func New(name string, alg Algorithm, now time.Time) (*CA, *Pair, error) {
	key, err := generateKey(alg)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name, Organization: []string{"casenode"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	p, err := issue(tmpl, tmpl, key.Public(), key, key)
	if err != nil {
		return nil, nil, fmt.Errorf("make CA: %w", err)
	}
	return &CA{Cert: p.Cert, key: key}, p, nil
}

// Load reads a CA from its certificate and private key in PEM.
func Load(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("certificate %q is not a CA certificate", cert.Subject.CommonName)
	}
	key, err := ParseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	if !publicEqual(key.Public(), cert.PublicKey) {
		return nil, fmt.Errorf("the private key is not the key of CA certificate %q", cert.Subject.CommonName)
	}
	return &CA{Cert: cert, key: key}, nil
}

// Algorithm returns the algorithm of the CA's key; it issues certificates
// of the same algorithm.
func (ca *CA) Algorithm() Algorithm {
	if _, ok := ca.key.(ed25519.PrivateKey); ok {
		return Ed25519
	}
	return ECDSAP256
}

// IssueServer issues the hub's certificate for hosts: DNS names and IP
// addresses (at least one), the names nodes use in their hub URLs.
func (ca *CA) IssueServer(name string, hosts []string, alg Algorithm, now time.Time) (*Pair, error) {
	if len(hosts) == 0 {
		return nil, errors.New("issue server certificate: no host name or address")
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{"casenode"}},
		NotBefore:   now.Add(-backdate),
		NotAfter:    minTime(now.Add(ServerValidity), ca.Cert.NotAfter),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if err := ValidateHost(h); err != nil {
			return nil, err
		}
		if a, err := netip.ParseAddr(h); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, a.AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, strings.ToLower(h))
		}
	}
	return ca.issueLeaf(tmpl, alg)
}

// IssueClient issues a client certificate for name, an agency id or
// "admin", for a hub that verifies its clients (mutual TLS).
func (ca *CA) IssueClient(name string, alg Algorithm, now time.Time) (*Pair, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{"casenode"}},
		NotBefore:   now.Add(-backdate),
		NotAfter:    minTime(now.Add(ClientValidity), ca.Cert.NotAfter),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return ca.issueLeaf(tmpl, alg)
}

func (ca *CA) issueLeaf(tmpl *x509.Certificate, alg Algorithm) (*Pair, error) {
	key, err := generateKey(alg)
	if err != nil {
		return nil, err
	}
	p, err := issue(tmpl, ca.Cert, key.Public(), ca.key, key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate for %s: %w", tmpl.Subject.CommonName, err)
	}
	return p, nil
}

// issue signs tmpl with signer as parent and encodes the certificate and
// key, the private half of pub.
func issue(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer, key crypto.Signer) (*Pair, error) {
	// A random 128-bit serial: unique without any state.
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Pair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		Cert:    cert,
	}, nil
}

func generateKey(alg Algorithm) (crypto.Signer, error) {
	switch alg {
	case ECDSAP256, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("unknown key algorithm %q: must be %s or %s", alg, ECDSAP256, Ed25519)
}

// ParseCertificate decodes the first PEM certificate in data.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM certificate found")
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// ParseKey decodes a PEM PKCS #8 private key of either algorithm.
func ParseKey(data []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("no PEM private key (PKCS #8) found")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("private key of type %T: only ECDSA and Ed25519 keys are used", k)
}

// ValidateHost checks a host for a server certificate: an IP address or a
// DNS name (letters, digits, '-' and '.'; no wildcard).
func ValidateHost(h string) error {
	if _, err := netip.ParseAddr(h); err == nil {
		return nil
	}
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") || strings.Contains(h, "..") {
		return fmt.Errorf("host %q is not an IP address or a DNS name", h)
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return fmt.Errorf("host %q is not an IP address or a DNS name (no wildcards, no ports)", h)
		}
	}
	return nil
}

func publicEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
