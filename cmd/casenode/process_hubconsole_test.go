package main

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testHubConsoleRun turns the secretariat's console on in hub.json,
// creates an account with 'casenode hub user add', runs the hub as a
// process and signs in: 'casenode hub run' serves the console, with the
// member on its members page, and stops it on SIGINT.
func testHubConsoleRun(t *testing.T, exe string) {
	pn := newProcNet(t, exe, procSender)
	hubDir := pn.ln.HubDir()
	addr := freeAddr(t)
	setConfig(t, filepath.Join(hubDir, "hub.json"), "console", map[string]any{"listen": addr})
	add := exec.Command(exe, "hub", "user", "add", "fatou", "--dir", hubDir, "--role", "secretariat", "--password-stdin")
	add.Stdin = strings.NewReader("a long enough password\n")
	if out, err := add.CombinedOutput(); err != nil || !strings.Contains(string(out), "account fatou (secretariat) created") {
		t.Fatalf("hub user add: %v\n%s", err, out)
	}
	pn.startHub()
	base := "http://" + addr + "/"
	c, resp, body := consoleSignIn(t, base, "fatou", "a long enough password")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/members" || !strings.Contains(string(body), `data-agency="`+procSender+`"`) {
		t.Fatalf("sign-in: %d at %s\n%.500s", resp.StatusCode, resp.Request.URL.Path, body)
	}
	pn.stop(procHub)
	if _, err := c.Get(base + "signin"); err == nil {
		t.Error("the console still answers after the hub stopped")
	}
}
