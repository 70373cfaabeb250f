package main

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
)

// TestAuditServe runs 'casenode audit serve --dir' over a folder with one
// log: it prints an address with a one-time token on standard output, the
// address opens a session once, the timeline tells the log's rejections,
// Ctrl-C (the context) stops it cleanly, and the file is unchanged.
func TestAuditServe(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(logs, "sn-pj-dakar.db")
	if err := helperWrite(filepath.Join(dir, "sn-pj-dakar"), db, 30, true); err != nil {
		t.Fatal(err)
	}
	hash := func() [32]byte {
		b, err := os.ReadFile(db)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := hash()
	var out, log syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runAuditServe(ctx, testEnv(&out, &log), []string{"--dir", logs}) }()
	start := regexp.MustCompile(`http://127\.0\.0\.1:\d+/start\?token=[A-Za-z0-9_-]{43}`)
	var u string
	poll.Until(t, 30*time.Second, "the console's address on standard output", func() bool {
		u = start.FindString(out.String())
		return u != ""
	})
	base := u[:strings.Index(u, "start?")]
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(c *http.Client, u string) (int, string) {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(c, u); code != http.StatusOK || !strings.Contains(body, `data-log="sn-pj-dakar.db"`) {
		t.Fatalf("the address printed: %d %.300s", code, body)
	}
	if code, _ := get(&http.Client{}, u); code != http.StatusForbidden {
		t.Errorf("the address printed, a second time: %d", code)
	}
	code, body := get(c, base+"logs/sn-pj-dakar.db/timeline?type=rejected")
	if code != http.StatusOK || !strings.Contains(body, `data-type="rejected"`) || !strings.Contains(body, "bad-signature") || strings.Contains(body, `data-type="sent"`) {
		t.Errorf("the timeline of rejections: %d %.500s\n%s", code, body, log.String())
	}
	// Every kind of record the helper writes renders, on both pages.
	for _, p := range []string{"", "?start=20"} {
		code, body := get(c, base+"logs/sn-pj-dakar.db/timeline"+p)
		if code != http.StatusOK || !strings.Contains(body, `id="entries"`) {
			t.Errorf("the timeline%s: %d %.300s\n%s", p, code, body, log.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("audit serve stopped with %v", err)
	}
	if hash() != before {
		t.Error("audit serve changed the log it served")
	}
	if !strings.Contains(out.String(), "serves "+db+", read-only") {
		t.Errorf("stdout: %s", out.String())
	}
}
