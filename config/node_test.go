package config

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/casenode/casenode/protocol"
)

// testNode returns a valid node.json with the fields of extra (object
// members without braces) added or replaced.
func testNode(t testing.TB, extra string) []byte {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	jwk := protocol.PublicJWK(pub)
	key, err := json.Marshal(&jwk)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]json.RawMessage{
		"network":         json.RawMessage(`"wacap"`),
		"agency":          json.RawMessage(`"sn-pj-dakar"`),
		"hub_urls":        json.RawMessage(`["nats://hub.wacap.example:4222"]`),
		"secretariat_key": key,
	}
	if extra != "" {
		var more map[string]json.RawMessage
		if err := json.Unmarshal([]byte("{"+extra+"}"), &more); err != nil {
			t.Fatalf("bad test fields %s: %v", extra, err)
		}
		for k, v := range more {
			fields[k] = v
		}
	}
	data, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseNodeDefaults(t *testing.T) {
	n, err := ParseNode(testNode(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if n.CredsFile != DefaultCredsFile || n.API.Socket != DefaultAPISocket ||
		n.RejectionsKeptPerHour != DefaultRejectionsKeptPerHour {
		t.Fatalf("defaults not applied: %+v", n)
	}
	if len(n.SecretariatPublicKey()) != ed25519.PublicKeySize {
		t.Fatal("no secretariat key")
	}
}

func TestParseNodeErrors(t *testing.T) {
	tests := []struct{ extra, want string }{
		{`"network":"WACAP"`, "node.network: "},
		{`"agency":"sn pj"`, "node.agency: "},
		{`"hub_urls":[]`, "node.hub_urls: must list"},
		{`"hub_urls":["http://hub:4222"]`, "node.hub_urls[0]: "},
		{`"hub_urls":["nats://hub:4222","nats://u:p@hub:4222"]`, "node.hub_urls[1]: "},
		{`"hub_urls":["nats://:4222"]`, "node.hub_urls[0]: "},
		{`"hub_urls":["nats://hub:0"]`, "node.hub_urls[0]: "},
		{`"hub_urls":["nats://hub/path"]`, "node.hub_urls[0]: "},
		{`"creds_file":""`, "node.creds_file: must be set"},
		{`"secretariat_key":null`, "node.secretariat_key: must be set"},
		{`"api":{"socket":""}`, "node.api.socket: "},
		{`"api":{"socket":"a.sock","listen":"127.0.0.1:8080"}`, "node.api.token_file: must be set when api.listen is set"},
		{`"api":{"socket":"a.sock","listen":"nope"}`, "node.api.listen: "},
		{`"resend_timeout":"0s"`, "node.resend_timeout: "},
		{`"resend_timeout":"48h"`, "node.resend_timeout: "},
		{`"max_clock_skew":"2h"`, "node.max_clock_skew: "},
		{`"max_message_age":"30m"`, "node.max_message_age: "},
		{`"max_message_age":"9000h"`, "node.max_message_age: "},
		{`"rejections_kept_per_hour":-1`, "node.rejections_kept_per_hour: "},
		{`"log_level":"trace"`, "node.log_level: "},
		{`"metrics":{"listen":"9464"}`, `node.metrics.listen: "9464" is not HOST:PORT`},
		{`"metrics":{"listen":"monitor.example:9464"}`, `node.metrics.listen: "monitor.example:9464" is not HOST:PORT`},
		{`"log_format":"logfmt"`, `node.log_format: "logfmt" must be text or json`},
		{`"hub_url":"nats://hub:4222"`, `unknown field "hub_url"`},
		{`"witness":{"peers":["GH"]}`, "node.witness.peers[0]: "},
		{`"witness":{"peers":["gh-ag","gh-ag"]}`, `node.witness.peers[1]: "gh-ag" is listed twice`},
		{`"witness":{"peers":["sn-pj-dakar"]}`, `node.witness.peers[0]: "sn-pj-dakar" is this agency`},
		{`"witness":{"peers":["a1","a2","a3","a4","a5","a6","a7","a8","a9"]}`, "node.witness.peers: 9 agencies, over the limit of 8"},
		{`"witness":{"pears":[]}`, `unknown field "pears"`},
	}
	for _, tt := range tests {
		_, err := ParseNode(testNode(t, tt.extra))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseNode(…%s) = %v, want %q", tt.extra, err, tt.want)
		}
	}
}

func TestParseNodeSecretariatKey(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	base := `{"network":"wacap","agency":"sn-pj-dakar","hub_urls":["nats://hub:4222"],"secretariat_key":`
	wrongKid := protocol.PublicJWK(pub)
	wrongKid.KeyID = "not-the-thumbprint"
	private := protocol.PublicJWK(pub)
	private.Key = priv
	for name, tt := range map[string]struct {
		jwk  any
		want string
	}{
		"wrong kid": {&wrongKid, "node.secretariat_key.kid: "},
		"private":   {&private, "node.secretariat_key: must be a public Ed25519 JWK"},
		"garbage":   {map[string]string{"kty": "oct", "k": "AAAA"}, "node.secretariat_key: "},
	} {
		key, err := json.Marshal(tt.jwk)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseNode([]byte(base + string(key) + "}"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseNode = %v, want %q", name, err, tt.want)
		}
	}
}

func TestLoadNodeResolvesPaths(t *testing.T) {
	dir := t.TempDir()
	data := testNode(t, `"creds_file":"/etc/casenode/hub.creds","api":{"socket":"run/api.sock","listen":"127.0.0.1:0","token_file":"token"}`)
	if err := os.WriteFile(filepath.Join(dir, NodeFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := LoadNode(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n.CredsFile != "/etc/casenode/hub.creds" || n.API.Socket != filepath.Join(dir, "run/api.sock") || n.API.TokenFile != filepath.Join(dir, "token") || n.CAFile != "" {
		t.Fatalf("paths: %+v", n)
	}
	out, err := n.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseNode(out); err != nil {
		t.Fatalf("Marshal output does not parse: %v\n%s", err, out)
	}
}

// TestObsoleteCheckpointCadence: a node.json written when the audit log
// had a checkpoint cadence still loads; the fields are ignored and no
// longer written.
func TestObsoleteCheckpointCadence(t *testing.T) {
	n, err := ParseNode(testNode(t, `"checkpoint_every":1000,"checkpoint_interval":"1h"`))
	if err != nil {
		t.Fatal(err)
	}
	n.CheckpointEvery, n.CheckpointInterval = 0, 0
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "checkpoint") {
		t.Fatalf("a new node.json still holds the cadence: %s", b)
	}
}
