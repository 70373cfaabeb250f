package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseHubDefaults(t *testing.T) {
	h, err := ParseHub([]byte(`{"network":"wacap"}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.Listen != DefaultHubListen || h.MaxPayload != 8<<20 || h.Sync != SyncAlways || time.Duration(h.DuplicateWindow) != 24*time.Hour {
		t.Fatalf("defaults not applied: %+v", h)
	}
	if h.SyncInterval() != 0 {
		t.Fatalf("SyncInterval() = %v with sync always", h.SyncInterval())
	}
	if h.MemberLimits != DefaultMemberLimits() {
		t.Fatalf("member limits %+v, want the defaults %+v", h.MemberLimits, DefaultMemberLimits())
	}
	if h.MaxAttachmentSize != 4<<30 {
		t.Fatalf("max_attachment_size %d by default, want 4 GiB", h.MaxAttachmentSize)
	}
	// One field given keeps the defaults of the others.
	h, err = ParseHub([]byte(`{"network":"wacap","member_limits":{"messages_per_second":7}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (MemberLimits{DefaultStoredBytes, DefaultStoredMessages, 7, DefaultBytesPerSecond, DefaultAttachmentBytes}); h.MemberLimits != want {
		t.Fatalf("member limits %+v, want %+v", h.MemberLimits, want)
	}
}

func TestParseHubErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, "hub.network: "},
		{`{"network":"wacap","listen":"4222"}`, "hub.listen: "},
		{`{"network":"wacap","max_attachment_size":1000}`, "hub.max_attachment_size: "},
		{`{"network":"wacap","member_limits":{"attachment_bytes":1048576}}`, "hub.member_limits.attachment_bytes: "},
		{`{"network":"wacap","listen":"127.0.0.1:99999"}`, "hub.listen: port"},
		{`{"network":"wacap","listen":"bad host!:4222"}`, "hub.listen: "},
		{`{"network":"wacap","store_dir":""}`, "hub.store_dir: must be set"},
		{`{"network":"wacap","max_payload":1024}`, "hub.max_payload: "},
		{`{"network":"wacap","duplicate_window":"1s"}`, "hub.duplicate_window: "},
		{`{"network":"wacap","duplicate_window":"forever"}`, "decode hub.json: "},
		{`{"network":"wacap","retention":"1h"}`, "hub.retention: "},
		{`{"network":"wacap","retention":"48h","duplicate_window":"72h"}`, "hub.retention: "},
		{`{"network":"wacap","sync":"sometimes"}`, "hub.sync: "},
		{`{"network":"wacap","roster_validity":"1h"}`, "hub.roster_validity: "},
		{`{"network":"wacap","log_level":"loud"}`, "hub.log_level: "},
		{`{"network":"wacap","metrics":{"listen":"127.0.0.1"}}`, `hub.metrics.listen: "127.0.0.1" is not HOST:PORT`},
		{`{"network":"wacap","log_format":"xml"}`, `hub.log_format: "xml" must be text or json`},
		{`{"network":"wacap","member_limits":{"stored_bytes":1000}}`, "hub.member_limits.stored_bytes: "},
		{`{"network":"wacap","member_limits":{"stored_messages":0}}`, "hub.member_limits.stored_messages: "},
		{`{"network":"wacap","member_limits":{"messages_per_second":0}}`, "hub.member_limits.messages_per_second: "},
		{`{"network":"wacap","member_limits":{"bytes_per_second":10}}`, "hub.member_limits.bytes_per_second: "},
		{`{"network":"wacap","member_limits":{"messages_per_sec":10}}`, `unknown field "messages_per_sec"`},
		{`{"network":"wacap","listne":"127.0.0.1:4222"}`, `unknown field "listne"`},
		{`{"network":"wacap","console":{"listen":"0.0.0.0:8450"}}`, "hub.console.listen: \"0.0.0.0:8450\" is not a loopback address: set hub.console.tls_cert_file"},
		{`{"network":"wacap","console":{"tls_cert_file":"c.pem","tls_key_file":"k.pem"}}`, "hub.console.listen: must be set"},
		{`{"network":"wacap","console":{"listen":"127.0.0.1:8450","session_idle":"1s"}}`, "hub.console.session_idle: "},
		{`{"network":"wacap","member_silent_after":"1m"}`, "hub.member_silent_after: "},
		{`{"network":"wacap"} {}`, "trailing data"},
		{`{"network":"wacap","network":"eccas"}`, `duplicate key "network"`},
	}
	for _, tt := range tests {
		_, err := ParseHub([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseHub(%s) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestHubSyncInterval(t *testing.T) {
	h, err := ParseHub([]byte(`{"network":"wacap","sync":"2m","retention":"0s"}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.SyncInterval() != 2*time.Minute || h.Retention != 0 {
		t.Fatalf("sync %v retention %v", h.SyncInterval(), h.Retention)
	}
}

func TestLoadHubRoundTrip(t *testing.T) {
	dir := t.TempDir()
	h := DefaultHub()
	h.Network = "wacap"
	data, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"duplicate_window": "24h"`) {
		t.Errorf("durations not in their short form:\n%s", data)
	}
	if err := os.WriteFile(filepath.Join(dir, HubFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHub(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.StoreDir != filepath.Join(dir, "jetstream") {
		t.Errorf("store_dir = %q, not resolved against %q", got.StoreDir, dir)
	}
	if _, err := LoadHub(t.TempDir()); !os.IsNotExist(err) {
		t.Errorf("LoadHub of an empty directory: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, HubFile), []byte(`{"network":"wacap","listen":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHub(dir); err == nil || !strings.Contains(err.Error(), "hub.json: hub.listen: ") {
		t.Errorf("LoadHub of a bad file: %v", err)
	}
}
