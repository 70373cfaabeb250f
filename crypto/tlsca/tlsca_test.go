package tlsca

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func TestIssueAndVerify(t *testing.T) {
	for _, alg := range []Algorithm{ECDSAP256, Ed25519} {
		t.Run(string(alg), func(t *testing.T) {
			ca, caPair, err := New("casenode network wacap", alg, now)
			if err != nil {
				t.Fatal(err)
			}
			if !ca.Cert.IsCA || !ca.Cert.MaxPathLenZero {
				t.Fatal("not a CA certificate limited to leaves")
			}
			again, err := Load(caPair.CertPEM, caPair.KeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := again.IssueServer("casenode hub wacap", []string{"hub.wacap.example", "127.0.0.1", "::1"}, alg, now)
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca.Cert)
			for _, host := range []string{"hub.wacap.example", "HUB.wacap.example", "127.0.0.1", "::1"} {
				if _, err := srv.Cert.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
					t.Errorf("server certificate for %s: %v", host, err)
				}
			}
			if _, err := srv.Cert.Verify(x509.VerifyOptions{DNSName: "evil.example", Roots: roots, CurrentTime: now}); err == nil {
				t.Error("server certificate valid for a name it does not list")
			}
			if _, err := srv.Cert.Verify(x509.VerifyOptions{DNSName: "hub.wacap.example", Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
				t.Error("server certificate usable as a client certificate")
			}
			cli, err := ca.IssueClient("gh-ag", alg, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cli.Cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("client certificate: %v", err)
			}
			if cli.Cert.Subject.CommonName != "gh-ag" {
				t.Errorf("client certificate names %q", cli.Cert.Subject.CommonName)
			}
			// A certificate of another CA does not verify.
			other, _, err := New("other", alg, now)
			if err != nil {
				t.Fatal(err)
			}
			foreign, err := other.IssueServer("x", []string{"hub.wacap.example"}, alg, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := foreign.Cert.Verify(x509.VerifyOptions{DNSName: "hub.wacap.example", Roots: roots, CurrentTime: now}); err == nil {
				t.Error("a certificate of another CA verifies")
			}
			if k, err := ParseKey(srv.KeyPEM); err != nil || !publicEqual(k.Public(), srv.Cert.PublicKey) {
				t.Fatalf("server key: %v", err)
			}
			if !srv.Cert.NotAfter.After(now.AddDate(4, 0, 0)) || srv.Cert.NotAfter.After(ca.Cert.NotAfter) || !srv.Cert.NotBefore.Before(now) {
				t.Errorf("server certificate valid %s to %s", srv.Cert.NotBefore, srv.Cert.NotAfter)
			}
		})
	}
}

func TestLoadRefuses(t *testing.T) {
	ca, pair, err := New("ca", ECDSAP256, now)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPair, _ := New("other", ECDSAP256, now)
	if _, err := Load(pair.CertPEM, otherPair.KeyPEM); err == nil || !strings.Contains(err.Error(), "is not the key of CA certificate") {
		t.Fatalf("mismatched key: %v", err)
	}
	leaf, _ := ca.IssueClient("gh-ag", ECDSAP256, now)
	if _, err := Load(leaf.CertPEM, leaf.KeyPEM); err == nil || !strings.Contains(err.Error(), "not a CA certificate") {
		t.Fatalf("leaf as CA: %v", err)
	}
	if _, err := Load([]byte("junk"), pair.KeyPEM); err == nil {
		t.Fatal("junk certificate accepted")
	}
	if _, err := Load(pair.CertPEM, pair.CertPEM); err == nil {
		t.Fatal("certificate as key accepted")
	}
}

func TestHostsAndAlgorithms(t *testing.T) {
	for _, ok := range []string{"hub.wacap.example", "localhost", "10.0.0.1", "fe80::1"} {
		if err := ValidateHost(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "*.wacap.example", "hub:4222", "a..b", ".hub", "hub wacap"} {
		if err := ValidateHost(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	ca, _, _ := New("ca", ECDSAP256, now)
	if _, err := ca.IssueServer("hub", nil, ECDSAP256, now); err == nil {
		t.Error("server certificate without hosts")
	}
	if _, err := ca.IssueServer("hub", []string{"*.x"}, ECDSAP256, now); err == nil {
		t.Error("wildcard host accepted")
	}
	if a, err := ParseAlgorithm(""); err != nil || a != ECDSAP256 {
		t.Errorf("default algorithm %q, %v", a, err)
	}
	if _, err := ParseAlgorithm("rsa"); err == nil || !strings.Contains(err.Error(), "ecdsa-p256 or ed25519") {
		t.Errorf("rsa: %v", err)
	}
}
