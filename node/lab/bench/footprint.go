package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// Footprint runs the hub and one agency's node as processes of exe (the
// casenode binary), as an operator would, and measures the node's start-up
// time until it is online with the roster, and the resident memory of the
// idle node and hub.
func Footprint(ctx context.Context, dir, exe string, kind protocol.RecipientKind) (Result, error) {
	ln, err := localnet.Create(ctx, dir, localnet.Options{Network: "bench", Kind: kind, Hub: liftLimits}, localnet.Agency{ID: "a0", Name: "Agency 0", Country: "SN"})
	if err != nil {
		return Result{}, err
	}
	u, err := url.Parse(ln.HubURL())
	if err != nil {
		return Result{}, err
	}
	if err := ln.Close(); err != nil {
		return Result{}, err
	}
	hub := exec.CommandContext(ctx, exe, "hub", "run", "--dir", ln.HubDir(), "--listen", u.Host)
	if err := hub.Start(); err != nil {
		return Result{}, fmt.Errorf("footprint: start hub: %w", err)
	}
	defer stop(hub)
	// The hub is up when a node can connect (it opens its port last);
	// only then start the node and time it.
	if err := waitListening(ctx, u.Host); err != nil {
		return Result{}, fmt.Errorf("footprint: hub: %w", err)
	}
	start := time.Now()
	nd := exec.CommandContext(ctx, exe, "run", "--dir", ln.AgencyDir("a0"))
	if err := nd.Start(); err != nil {
		return Result{}, fmt.Errorf("footprint: start node: %w", err)
	}
	defer stop(nd)
	for {
		out, err := exec.CommandContext(ctx, exe, "status", "--dir", ln.AgencyDir("a0"), "--json").Output()
		var st struct {
			Hub struct {
				State string `json:"state"`
			} `json:"hub"`
			Roster *struct {
				Serial uint64 `json:"serial"`
			} `json:"roster"`
		}
		if err == nil && json.Unmarshal(out, &st) == nil && st.Hub.State == "online" && st.Roster != nil {
			break
		}
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("footprint: node not ready: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	ready := time.Since(start)
	// Idle: let start-up garbage be collected before reading memory.
	idle := time.NewTimer(3 * time.Second)
	select {
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-idle.C:
	}
	nodeRSS, err := rss(nd.Process.Pid)
	if err != nil {
		return Result{}, err
	}
	hubRSS, err := rss(hub.Process.Pid)
	if err != nil {
		return Result{}, err
	}
	return Result{
		Name:   "footprint",
		Title:  "footprint: an idle node and hub as processes; node start-up to online with the roster",
		Params: map[string]any{"kind": string(kind), "note": "start-up includes process start and the first status call through the local API"},
		Values: map[string]float64{"node_rss_mb": nodeRSS, "hub_rss_mb": hubRSS, "node_startup_ms": float64(ready) / float64(time.Millisecond)},
	}, nil
}

func stop(c *exec.Cmd) {
	if c.Process == nil {
		return
	}
	c.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		<-done
	}
}

// rss returns a process's resident memory in MB, from /proc.
func rss(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return 0, err
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for process %d", pid)
}

// waitListening waits until addr accepts TCP connections.
func waitListening(ctx context.Context, addr string) error {
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not listening on %s: %w", addr, err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
