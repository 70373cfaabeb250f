package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
)

// testDemoKeep runs 'casenode demo --keep' as a process, runs every command
// it suggests against the running network, and stops it with SIGINT: it
// exits cleanly and removes its temporary directory.
func testDemoKeep(t *testing.T, exe string) {
	work := t.TempDir()
	var out, errOut syncBuffer
	cmd := exec.Command(exe, "demo", "--keep", "--classic")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "TMPDIR="+work, "USER=adjoa")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	t.Cleanup(func() {
		if !exited {
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("demo output:\n%s\n%s", out.String(), errOut.String())
		}
	})
	poll.Until(t, 2*time.Minute, "the demo to print the commands to try", func() bool { return strings.Contains(out.String(), "A running node holds its") })

	var tried int
	for _, line := range strings.Split(out.String(), "\n") {
		line, ok := strings.CutPrefix(line, "  "+exe+" ")
		if !ok {
			continue
		}
		sh := exec.Command("sh", "-c", exe+" "+line)
		sh.Dir = work
		got, err := sh.CombinedOutput()
		if err != nil {
			t.Fatalf("casenode %s: %v\n%s", line, err, got)
		}
		tried++
		for prefix, want := range map[string]string{
			"status ":       "this agency: active",
			"inbox ":        "case.lead",
			"audit verify ": ": verified",
			"contacts list": "Ngozi Okafor",
		} {
			if strings.HasPrefix(line, prefix) && !strings.Contains(string(got), want) {
				t.Errorf("casenode %s: no %q in\n%s", line, want, got)
			}
		}
	}
	if tried < 10 {
		t.Fatalf("the demo suggested %d commands:\n%s", tried, out.String())
	}
	checkDemoConsoles(t, out.String())

	start := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		exited = true
		if err != nil {
			t.Fatalf("demo --keep exited with %v\n%s", err, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo --keep did not stop within 30s of SIGINT")
	}
	t.Logf("ran %d suggested commands; the demo stopped %s after SIGINT", tried, time.Since(start).Round(time.Millisecond))
	if !strings.HasSuffix(out.String(), "Stopping the network.\n") {
		t.Errorf("demo output ends with %q", out.String()[max(0, len(out.String())-200):])
	}
	if left, _ := filepath.Glob(filepath.Join(work, "casenode-demo-*")); len(left) > 0 {
		t.Errorf("the demo's temporary directory is left: %v", left)
	}
}

// checkDemoConsoles signs in to each console the demo printed, with the
// account and password it printed, and reads the inbox, or the members
// page of the secretariat's console.
func checkDemoConsoles(t *testing.T, out string) {
	t.Helper()
	pw := regexp.MustCompile(`the password is ([A-Za-z0-9_-]{16})`).FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("the demo printed no console password:\n%s", out)
	}
	lines := regexp.MustCompile(`(?m)^  ([a-z-]+) +(http://127\.0\.0\.1:[0-9]+/) +account ([a-z-]+)$`).FindAllStringSubmatch(out, -1)
	if len(lines) != 4 || lines[3][1] != "hub" {
		t.Fatalf("the demo printed %d console addresses, want the three agencies' and then the hub's:\n%s", len(lines), out)
	}
	for _, l := range lines {
		_, resp, body := consoleSignIn(t, l[2], l[3], pw[1])
		want := "/inbox"
		if l[1] == "hub" {
			want = "/members"
		}
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != want || !strings.Contains(string(body), "<table") {
			t.Errorf("%s: signing in as %s gave %d at %s:\n%.400s", l[1], l[3], resp.StatusCode, resp.Request.URL.Path, body)
		}
	}
}
