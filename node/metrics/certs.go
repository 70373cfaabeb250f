package metrics

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// certCollector reads TLS certificate files at each scrape and exports
// the seconds until each expires.
type certCollector struct {
	files map[string]string
	now   func() time.Time
	d     *prometheus.Desc
}

// CertCollector exports casenode_tls_certificate_expiry_seconds{use} for
// each certificate file of files (by use: "hub-client", "console",
// "hub"…); files left empty are skipped. A file that cannot be read is
// reported as the scrape's error, so that the operator sees it.
func CertCollector(files map[string]string, now func() time.Time) prometheus.Collector {
	return &certCollector{files: files, now: now, d: prometheus.NewDesc("casenode_tls_certificate_expiry_seconds",
		"Seconds until a TLS certificate casenode serves or presents expires (negative once expired), by use.", []string{"use"}, nil)}
}

func (c *certCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.d }

func (c *certCollector) Collect(ch chan<- prometheus.Metric) {
	for use, f := range c.files {
		if f == "" {
			continue
		}
		notAfter, err := certExpiry(f)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.d, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.d, prometheus.GaugeValue, notAfter.Sub(c.now()).Seconds(), use)
	}
}

// certExpiry returns the NotAfter of the first certificate of a PEM file.
func certExpiry(path string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return time.Time{}, fmt.Errorf("%s: no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	if cert.NotAfter.IsZero() {
		return time.Time{}, errors.New(path + ": no expiry")
	}
	return cert.NotAfter, nil
}
