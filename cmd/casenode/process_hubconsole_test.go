package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
)

// testHubConsoleRun turns the secretariat's console on in hub.json,
// creates an account with 'casenode hub user add', runs the hub as a
// process and signs in: 'casenode hub run' serves the console, with the
// member on its members page, and stops it on SIGINT.
func testHubConsoleRun(t *testing.T, exe string) {
	pn := newProcNet(t, exe, procSender)
	hubDir := pn.ln.HubDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	path := filepath.Join(hubDir, "hub.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["console"] = map[string]any{"listen": addr}
	if b, err = json.MarshalIndent(cfg, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	add := exec.Command(exe, "hub", "user", "add", "fatou", "--dir", hubDir, "--role", "secretariat", "--password-stdin")
	add.Stdin = strings.NewReader("a long enough password\n")
	if out, err := add.CombinedOutput(); err != nil || !strings.Contains(string(out), "account fatou (secretariat) created") {
		t.Fatalf("hub user add: %v\n%s", err, out)
	}
	pn.startHub()
	base := "http://" + addr + "/"
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	var body []byte
	poll.Until(t, time.Minute, "the secretariat's console at "+base, func() bool {
		resp, err := c.Get(base + "signin")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ = io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK
	})
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if tok == nil {
		t.Fatalf("no sign-in form:\n%s", body)
	}
	resp, err := c.PostForm(base+"signin", url.Values{"csrf": {string(tok[1])}, "name": {"fatou"}, "password": {"a long enough password"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/members" || !strings.Contains(string(body), `data-agency="`+procSender+`"`) {
		t.Fatalf("sign-in: %d at %s\n%.500s", resp.StatusCode, resp.Request.URL.Path, body)
	}
	pn.stop(procHub)
	if _, err := c.Get(base + "signin"); err == nil {
		t.Error("the console still answers after the hub stopped")
	}
}
