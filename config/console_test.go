package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConsole checks the console's settings: off by default, loopback
// without TLS, any address with TLS, and field-named errors otherwise.
func TestConsole(t *testing.T) {
	n, err := ParseNode(testNode(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if n.Console.Listen != "" {
		t.Errorf("the console is on by default: %q", n.Console.Listen)
	}
	if b, _ := n.Marshal(); strings.Contains(string(b), "console") {
		t.Errorf("an unset console is written: %s", b)
	}
	for _, ok := range []string{
		`"console": {"listen": "127.0.0.1:8440"}`,
		`"console": {"listen": "[::1]:8440"}`,
		`"console": {"listen": "localhost:8440"}`,
		`"console": {"listen": "0.0.0.0:8440", "tls_cert_file": "c.crt", "tls_key_file": "c.key"}`,
		`"console": {"listen": "127.0.0.1:8440", "session_idle": "10m", "session_max": "8h"}`,
	} {
		if _, err := ParseNode(testNode(t, ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		`"console": {"listen": "0.0.0.0:8440"}`:                             "node.console.listen: \"0.0.0.0:8440\" is not a loopback address",
		`"console": {"listen": "192.168.1.10:8440"}`:                        "set node.console.tls_cert_file",
		`"console": {"listen": "127.0.0.1:8440", "tls_cert_file": "c.crt"}`: "node.console.tls_key_file: tls_cert_file and tls_key_file go together",
		`"console": {"tls_cert_file": "c.crt", "tls_key_file": "c.key"}`:    "node.console.listen: must be set",
		`"console": {"listen": "nowhere"}`:                                  "node.console.listen: \"nowhere\" must be HOST:PORT",
		`"console": {"listen": "127.0.0.1:8440", "session_idle": "5s"}`:     "node.console.session_idle",
		`"console": {"listen": "127.0.0.1:8440", "sessions": "8h"}`:         "sessions",
	} {
		_, err := ParseNode(testNode(t, bad))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", bad, err, want)
		}
	}
	c := Console{}
	if c.Idle() != DefaultSessionIdle || c.Max() != DefaultSessionMax {
		t.Errorf("session defaults %s %s", c.Idle(), c.Max())
	}
	c.SessionIdle = Duration(time.Minute)
	if c.Idle() != time.Minute {
		t.Errorf("idle %s", c.Idle())
	}
}

// TestConsoleNetworks checks console.networks, the consoles of the same
// agency's nodes in other networks: field-named errors, the node's own
// network refused, sockets taken from the node's directory.
func TestConsoleNetworks(t *testing.T) {
	good := `"console": {"listen": "127.0.0.1:8440", "networks": [{"network": "sahel", "url": "http://127.0.0.1:8441/", "socket": "../sahel/api.sock"}, {"network": "glr", "url": "https://glr.example:8443/"}]}`
	n, err := ParseNode(testNode(t, good))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Console.Networks) != 2 || n.Console.Networks[0].Network != "sahel" || n.Console.Networks[1].Socket != "" {
		t.Fatalf("networks: %+v", n.Console.Networks)
	}
	for bad, want := range map[string]string{
		`"console": {"networks": [{"network": "Sahel!", "url": "http://127.0.0.1:8441/"}]}`:                                 "node.console.networks[0].network:",
		`"console": {"networks": [{"network": "wacap", "url": "http://127.0.0.1:8441/"}]}`:                                  `node.console.networks[0].network: "wacap" is this node's own network`,
		`"console": {"networks": [{"network": "sahel", "url": "http://a:1/"}, {"network": "sahel", "url": "http://b:1/"}]}`: `node.console.networks[1].network: "sahel" is listed twice`,
		`"console": {"networks": [{"network": "sahel", "url": "ftp://127.0.0.1/"}]}`:                                        "node.console.networks[0].url: \"ftp://127.0.0.1/\" is not the address of a console",
		`"console": {"networks": [{"network": "sahel", "url": "http://user:pw@127.0.0.1:8441/"}]}`:                          "node.console.networks[0].url",
		`"console": {"networks": [{"network": "sahel", "url": "/relative"}]}`:                                               "node.console.networks[0].url",
		`"console": {"networks": [{"network": "sahel", "url": "http://127.0.0.1:8441/", "socket": " "}]}`:                   "node.console.networks[0].socket: must be set",
		`"console": {"networks": [{"network": "sahel", "url": "http://127.0.0.1:8441/", "sock": "x"}]}`:                     "sock",
	} {
		_, err := ParseNode(testNode(t, bad))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", bad, err, want)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, NodeFile), testNode(t, good), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadNode(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := loaded.Console.Networks[0].Socket, filepath.Join(dir, "../sahel/api.sock"); got != want {
		t.Errorf("socket %q, want %q (from the node's directory)", got, want)
	}
	h := DefaultHub()
	h.Network = "wacap"
	h.Console.Networks = []ConsoleNetwork{{Network: "sahel", URL: "http://127.0.0.1:8441/"}}
	if err := h.Validate(); err == nil || !strings.Contains(err.Error(), "hub.console.networks") {
		t.Errorf("a hub's console with networks: %v", err)
	}
}
