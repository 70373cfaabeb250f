package config

import (
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
