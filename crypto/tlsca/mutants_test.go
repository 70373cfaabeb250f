package tlsca

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"testing"
)

// The tests of this file hold what mutation testing (make mutants) found
// unheld: each half of the CA check, the PEM type of a key, and the host
// rule at the ends of each of its ranges.

// TestLoadRefusesHalfACA: a CA certificate must both be a CA and be allowed
// to sign certificates; either alone is refused.
func TestLoadRefusesHalfACA(t *testing.T) {
	for _, c := range []struct {
		name  string
		isCA  bool
		usage x509.KeyUsage
	}{
		{"a CA that may not sign certificates", true, x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign},
		{"not a CA, but may sign certificates", false, x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature},
	} {
		key, err := generateKey(ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "half"}, NotBefore: now.Add(-backdate), NotAfter: now.Add(CAValidity),
			IsCA: c.isCA, BasicConstraintsValid: true, KeyUsage: c.usage}
		p, err := issue(tmpl, tmpl, key.Public(), key, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p.CertPEM, p.KeyPEM); err == nil || !strings.Contains(err.Error(), `certificate "half" is not a CA certificate`) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestParseKeyWantsAPKCS8Block: a key is read only from a PEM block of type
// PRIVATE KEY, and anything else is refused as such.
func TestParseKeyWantsAPKCS8Block(t *testing.T) {
	_, pair, err := New("ca", ECDSAP256, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseKey(pair.KeyPEM); err != nil {
		t.Fatalf("the CA's key: %v", err)
	}
	b, _ := pem.Decode(pair.KeyPEM)
	for name, data := range map[string][]byte{
		"no PEM":                              []byte("junk"),
		"the key as an EC PRIVATE KEY":        pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: b.Bytes}),
		"the key as an ENCRYPTED PRIVATE KEY": pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: b.Bytes}),
	} {
		if _, err := ParseKey(data); err == nil || err.Error() != "no PEM private key (PKCS #8) found" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestValidateHostEdges: DNS names of the characters at the ends of each
// allowed range, and of exactly 253 characters, are valid; the characters
// just outside the ranges, and 254 characters, are not.
func TestValidateHostEdges(t *testing.T) {
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61) // 253
	for _, ok := range []string{"a", "z", "A", "Z", "0", "9", "a-z", "x.y", "az.AZ.09", long} {
		if err := ValidateHost(ok); err != nil {
			t.Errorf("%.20q: %v", ok, err)
		}
	}
	for _, bad := range []string{long + "d", "a_b", "a/b", "a:b", "a@b", "a[b", "a`b", "a{b", "a,b", "a+b"} {
		if err := ValidateHost(bad); err == nil {
			t.Errorf("%.20q accepted", bad)
		}
	}
}
