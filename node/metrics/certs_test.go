package metrics_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestCertCollector: the seconds until each certificate expires, by use;
// an unreadable file is a scrape error, not a silent gap.
func TestCertCollector(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(dir, "client.crt")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	c := metrics.CertCollector(map[string]string{"hub-client": cert, "console": ""}, func() time.Time { return now })
	want := "# HELP casenode_tls_certificate_expiry_seconds Seconds until a TLS certificate casenode serves or presents expires (negative once expired), by use.\n" +
		"# TYPE casenode_tls_certificate_expiry_seconds gauge\n" +
		"casenode_tls_certificate_expiry_seconds{use=\"hub-client\"} 864000\n"
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.CertCollector(map[string]string{"hub-client": filepath.Join(dir, "missing.crt")}, time.Now))
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "missing.crt") {
		t.Errorf("a missing certificate: %v", err)
	}
}
