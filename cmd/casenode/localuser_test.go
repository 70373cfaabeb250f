package main

import (
	"os/user"
	"testing"
)

// TestLocalUserFallsBackToTheOSUser checks the label the commands send
// with their requests: $USER, else the operating system's name for the
// user running them (the node records that user whatever the label says).
func TestLocalUserFallsBackToTheOSUser(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Skipf("no current user: %v", err)
	}
	for _, c := range []struct{ env, want string }{{"aminata", "aminata"}, {"", me.Username}, {"  ", me.Username}} {
		e := &env{getenv: func(k string) string {
			if k == "USER" {
				return c.env
			}
			return ""
		}}
		if got := localUser(e); got != c.want {
			t.Errorf("$USER %q: label %q, want %q", c.env, got, c.want)
		}
	}
}
