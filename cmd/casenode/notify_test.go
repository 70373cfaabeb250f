package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHubRunNotifiesSystemd: under a unit of Type=notify, 'hub run' says
// READY=1 once it listens and STOPPING=1 when it stops, on the datagram
// socket systemd names in $NOTIFY_SOCKET.
func TestHubRunNotifiesSystemd(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)

	h := filepath.Join(dir, "H")
	var out, log syncBuffer
	ctx := context.Background()
	if err := runHubInit(ctx, testEnv(&out, &log), []string{"--dir", h, "--network", "wacap", "--country", "SN", "--classic", "--listen", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runHubRun(runCtx, testEnv(&out, &log), []string{"--dir", h}) }()
	read := func() string {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		b := make([]byte, 256)
		n, err := conn.Read(b)
		if err != nil {
			t.Fatalf("no notification: %v\nlog:\n%s", err, log.String())
		}
		return string(b[:n])
	}
	if got := read(); got != "READY=1" {
		t.Errorf("first notification %q, want READY=1", got)
	}
	if !strings.Contains(log.String(), `msg="hub listening"`) {
		t.Errorf("READY=1 before the hub listens:\n%s", log.String())
	}
	stop()
	if got := read(); got != "STOPPING=1" {
		t.Errorf("notification at stop %q, want STOPPING=1", got)
	}
	if err := <-done; err != nil {
		t.Errorf("hub run: %v", err)
	}
}
