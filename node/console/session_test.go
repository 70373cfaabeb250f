package console

import (
	"testing"
	"time"
)

// clock is a test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestSessionExpiry: a session ends after its idle time without a request,
// and after its maximum age even when used, and at sign-out.
func TestSessionExpiry(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)}
	ss := newSessions(30*time.Minute, 2*time.Hour, c.now)
	id, s := ss.create("aminata")
	if s.csrf == "" || s.csrf == id {
		t.Fatalf("csrf token %q", s.csrf)
	}
	for i := range 4 {
		c.t = c.t.Add(25 * time.Minute)
		if ss.get(id) == nil {
			t.Fatalf("session ended after %d requests 25 minutes apart", i+1)
		}
	}
	c.t = c.t.Add(25 * time.Minute) // 2h05 after sign-in, 25 minutes after the last request
	if ss.get(id) != nil {
		t.Error("a session outlives its maximum age")
	}
	id, _ = ss.create("aminata")
	c.t = c.t.Add(31 * time.Minute)
	if ss.get(id) != nil {
		t.Error("a session outlives its idle time")
	}
	id, _ = ss.create("aminata")
	ss.end(id)
	if ss.get(id) != nil {
		t.Error("a session outlives sign-out")
	}
	if ss.get("forged") != nil {
		t.Error("an unknown cookie value is a session")
	}
}

// TestLimiter: five failures within the window block a key, others are
// not blocked, the window passes, and a success resets.
func TestLimiter(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)}
	l := newLimiter(c.now)
	for range maxFailures {
		if l.blocked("account:a", "addr:1") {
			t.Fatal("blocked before the limit")
		}
		l.fail("account:a", "addr:1")
	}
	if !l.blocked("account:a") || !l.blocked("addr:1") || !l.blocked("account:b", "addr:1") {
		t.Error("not blocked at the limit")
	}
	if l.blocked("account:b", "addr:2") {
		t.Error("another account from another address is blocked")
	}
	c.t = c.t.Add(failureWindow)
	if l.blocked("account:a", "addr:1") {
		t.Error("still blocked after the window")
	}
	l.fail("account:a")
	l.reset("account:a")
	if f := l.m["account:a"]; f != nil {
		t.Errorf("reset kept %+v", f)
	}
}

func TestLocalPath(t *testing.T) {
	for p, want := range map[string]bool{"/inbox": true, "/": true, "/cases/x?y=1": true, "//evil.example/": false, "/\\evil": false, "https://evil.example/": false, "": false, "inbox": false} {
		if got := localPath(p); got != want {
			t.Errorf("localPath(%q) = %v", p, got)
		}
	}
}
