package main

import (
	"net"
	"regexp"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// freeport NAME sets $NAME to a TCP port free on 127.0.0.1 now, for a hub
// that scripts run in the background and nodes join.
func cmdFreeport(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: freeport NAME")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// poll SECONDS REGEXP PROG ARGS... runs PROG ARGS... until it exits 0 with
// standard output matching REGEXP, at most SECONDS seconds: what a script
// waits for from processes it runs in the background. Its last run's
// standard output and error are the script's stdout and stderr.
func cmdPoll(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 || neg {
		ts.Fatalf("usage: poll SECONDS REGEXP PROG ARGS...")
	}
	secs, err := strconv.Atoi(args[0])
	ts.Check(err)
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	wait := 50 * time.Millisecond
	for {
		err := ts.Exec(args[2], args[3:]...)
		if err == nil && re.MatchString(ts.ReadFile("stdout")) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("after %ds, %s: %v; stdout %q, want %q", secs, args[2], err, ts.ReadFile("stdout"), args[1])
		}
		time.Sleep(wait)
		wait = min(2*wait, time.Second)
	}
}
