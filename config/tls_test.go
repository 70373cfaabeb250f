package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHubTLS(t *testing.T) {
	h, err := ParseHub([]byte(`{"network":"wacap"}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.TLS.Enabled() {
		t.Fatal("TLS on by default in a hub.json without a tls object")
	}
	out, _ := h.Marshal()
	if strings.Contains(string(out), `"tls"`) {
		t.Fatalf("an empty tls object is written:\n%s", out)
	}
	for _, tt := range []struct{ in, want string }{
		{`"tls":{"cert_file":"tls/hub.crt"}`, "hub.tls: cert_file and key_file must both be set"},
		{`"tls":{"key_file":"tls/hub.key"}`, "hub.tls: cert_file and key_file must both be set"},
		{`"tls":{"verify_clients":true}`, "hub.tls: cert_file and key_file must both be set"},
		{`"tls":{"cert_file":"c","key_file":"k","verify_clients":true}`, "hub.tls.verify_clients: needs ca_file"},
		{`"tls":{"cert_file":" ","key_file":"k"}`, "hub.tls.cert_file: must be set"},
		{`"tls":{"cert_file":"c","key_file":"k","ca":"x"}`, `unknown field "ca"`},
	} {
		if _, err := ParseHub([]byte(`{"network":"wacap",` + tt.in + `}`)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.in, err, tt.want)
		}
	}
	dir := t.TempDir()
	data := `{"network":"wacap","tls":{"cert_file":"tls/hub.crt","key_file":"/etc/hub.key","ca_file":"tls/ca.crt","verify_clients":true}}`
	if err := os.WriteFile(filepath.Join(dir, HubFile), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHub(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := HubTLS{CertFile: filepath.Join(dir, "tls/hub.crt"), KeyFile: "/etc/hub.key", CAFile: filepath.Join(dir, "tls/ca.crt"), VerifyClients: true}
	if got.TLS != want || !got.TLS.Enabled() {
		t.Fatalf("tls %+v, want %+v", got.TLS, want)
	}
}

func TestNodeTLS(t *testing.T) {
	if _, err := ParseNode(testNode(t, `"tls_cert_file":"client.crt"`)); err == nil || !strings.Contains(err.Error(), "node.tls_cert_file, node.tls_key_file: set both") {
		t.Fatalf("cert without key: %v", err)
	}
	if _, err := ParseNode(testNode(t, `"tls_key_file":"client.key"`)); err == nil {
		t.Fatal("key without cert accepted")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, NodeFile), testNode(t, `"ca_file":"hub-ca.crt","tls_cert_file":"client.crt","tls_key_file":"/k/client.key"`), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := LoadNode(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n.CAFile != filepath.Join(dir, "hub-ca.crt") || n.TLSCertFile != filepath.Join(dir, "client.crt") || n.TLSKeyFile != "/k/client.key" {
		t.Fatalf("paths not resolved: %+v", n)
	}
}
