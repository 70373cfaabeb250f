package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
)

// testConsoleRun turns the console on in node.json, creates an account
// with 'casenode user add' while the node is stopped, runs the node as a
// process and signs in to its console: 'casenode run' serves it, and
// stops it on SIGINT.
func testConsoleRun(t *testing.T, exe string) {
	pn := newProcNet(t, exe, procSender)
	dir := pn.ln.AgencyDir(procSender)
	addr := freeAddr(t)
	setNodeConfig(t, dir, "console", map[string]any{"listen": addr})
	add := exec.Command(exe, "user", "add", "aminata", "--dir", dir, "--role", "prosecutor", "--password-stdin")
	add.Stdin = strings.NewReader("a long enough password\n")
	if out, err := add.CombinedOutput(); err != nil || !strings.Contains(string(out), "account aminata (prosecutor) created") {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	pn.startHub()
	pn.startNode(procSender)
	base := "http://" + addr + "/"
	c, resp, _ := consoleSignIn(t, base, "aminata", "a long enough password")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/inbox" {
		t.Fatalf("sign-in: %d at %s", resp.StatusCode, resp.Request.URL.Path)
	}
	pn.stop(procSender)
	if _, err := c.Get(base + "signin"); err == nil {
		t.Error("the console still answers after the node stopped")
	}
}

// consoleSignIn waits until the console at base serves its sign-in page,
// then signs name in with password through the form, following the
// redirect. It returns the browser, the last response and its body.
func consoleSignIn(t *testing.T, base, name, password string) (*http.Client, *http.Response, []byte) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	var body []byte
	poll.Until(t, time.Minute, "the console at "+base, func() bool {
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
	resp, err := c.PostForm(base+"signin", url.Values{"csrf": {string(tok[1])}, "name": {name}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	return c, resp, body
}
