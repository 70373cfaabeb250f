package bench

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// gcLine is a line of GODEBUG=gctrace=1: the heap before, after and live
// at a collection.
var gcLine = regexp.MustCompile(`^gc \d+ .* (\d+)->(\d+)->(\d+) MB`)

// TestFanInHubProcess runs the fan-in scenario (CASENODE_BENCH_AGENCIES,
// default 100, each sending CASENODE_FANIN_MESSAGES, default 20) with the
// hub as a process of each binary of CASENODE_FANIN_EXES (colon-separated)
// started as `casenode hub run` with GOMEMLIMIT as in CASENODE_FANIN_LIMITS
// (colon-separated, "-" for unset: the hub's own soft limit), alternating,
// CASENODE_FANIN_ROUNDS times (default 2); the nodes run in this process.
// It prints the hub's collections (GODEBUG=gctrace=1), its largest live
// heap, its CPU seconds and peak resident memory during the sends: whether
// the hub's soft heap limit makes its collector thrash at scale. Skipped
// unless CASENODE_FANIN_EXES is set.
func TestFanInHubProcess(t *testing.T) {
	exes := os.Getenv("CASENODE_FANIN_EXES")
	if exes == "" {
		t.Skip("CASENODE_FANIN_EXES not set")
	}
	agencies := benchAgencies(100)
	per := 20
	if v, err := strconv.Atoi(os.Getenv("CASENODE_FANIN_MESSAGES")); err == nil && v > 0 {
		per = v
	}
	rounds := 2
	if v, err := strconv.Atoi(os.Getenv("CASENODE_FANIN_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	limits := strings.Split(os.Getenv("CASENODE_FANIN_LIMITS"), ":")
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for r := range rounds {
		for _, exe := range strings.Split(exes, ":") {
			for _, limit := range limits {
				line, err := fanInHubProcess(ctx, t.TempDir(), exe, limit, agencies, per)
				if err != nil {
					t.Fatal(err)
				}
				load, _ := os.ReadFile("/proc/loadavg")
				fmt.Printf("round %d %s GOMEMLIMIT=%s: %s; load %s", r, filepath.Base(exe), limit, line, load)
			}
		}
	}
}

func fanInHubProcess(ctx context.Context, dir, exe, limit string, agencies, per int) (string, error) {
	workers := max(1, runtime.GOMAXPROCS(0)/agencies)
	ln, ids, err := netFor(ctx, dir, protocol.KindHybrid, agencies, workers)
	if err != nil {
		return "", err
	}
	defer ln.Close()
	u, err := url.Parse(ln.HubURL())
	if err != nil {
		return "", err
	}
	if err := ln.StopHub(); err != nil {
		return "", err
	}
	hub := exec.CommandContext(ctx, exe, "hub", "run", "--dir", ln.HubDir(), "--listen", u.Host)
	hub.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	if limit != "-" {
		hub.Env = append(hub.Env, "GOMEMLIMIT="+limit)
	}
	logPath := filepath.Join(dir, "hub.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer logf.Close()
	hub.Stderr = logf
	if err := hub.Start(); err != nil {
		return "", err
	}
	defer stop(hub)
	for _, a := range ids {
		if err := ln.WaitReady(ctx, a, agencies+1); err != nil {
			return "", err
		}
	}
	before := gcTrace(logPath)
	cpu0, err := procCPU(hub.Process.Pid)
	if err != nil {
		return "", err
	}
	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, agencies+1)
	sent := make([]chan struct{}, agencies)
	for i, a := range ids {
		sent[i] = make(chan struct{})
		wg.Go(func() {
			defer close(sent[i])
			to := func(k int) []string { return []string{ids[(i+1+k%(agencies-1))%agencies]} }
			if err := sendAll(ctx, ln.Node(a), per, 2, Body(1024), to); err != nil {
				errc <- fmt.Errorf("%s: %w", a, err)
			}
		})
	}
	wg.Go(func() {
		if err := waitAllDelivered(ctx, ln, ids, sent, int64(per)); err != nil {
			errc <- err
		}
	})
	wg.Wait()
	elapsed := time.Since(start)
	close(errc)
	if err := <-errc; err != nil {
		return "", err
	}
	cpu1, err := procCPU(hub.Process.Pid)
	if err != nil {
		return "", err
	}
	rss, err := peakRSS(hub.Process.Pid)
	if err != nil {
		return "", err
	}
	after := gcTrace(logPath)
	return fmt.Sprintf("%.0f msgs/s; hub: CPU %.2f s, %d collections during the sends (%d before), live heap at most %d MB, heap at most %d MB, peak RSS %.1f MiB",
		float64(agencies*per)/elapsed.Seconds(), cpu1-cpu0, after.n-before.n, before.n, after.maxLive, after.maxHeap, rss), nil
}

// gcStats is what a gctrace log says so far.
type gcStats struct{ n, maxLive, maxHeap int }

func gcTrace(path string) gcStats {
	var s gcStats
	b, _ := os.ReadFile(path)
	for line := range strings.SplitSeq(string(b), "\n") {
		m := gcLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s.n++
		pre, _ := strconv.Atoi(m[1])
		live, _ := strconv.Atoi(m[3])
		s.maxHeap = max(s.maxHeap, pre)
		s.maxLive = max(s.maxLive, live)
	}
	return s
}
