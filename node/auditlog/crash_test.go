package auditlog

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// crashChildEnv makes the test binary run crashChild instead of the tests:
// its value is the directory holding the log, the card and the key.
const crashChildEnv = "AUDITLOG_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild appends from many goroutines until it is killed, printing
// "seq tag" on stdout once each Append has returned.
func crashChild(dir string) {
	die := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	cardJSON, err := os.ReadFile(filepath.Join(dir, "card.json"))
	if err != nil {
		die(err)
	}
	card, err := protocol.ParseMemberCard(cardJSON)
	if err != nil {
		die(err)
	}
	seed, err := os.ReadFile(filepath.Join(dir, "seed"))
	if err != nil {
		die(err)
	}
	l, err := Open(filepath.Join(dir, FileName), Options{
		Card: card, Key: ed25519.NewKeyFromSeed(seed),
		LockTimeout: 10 * time.Second,
	})
	if err != nil {
		die(err)
	}
	fmt.Println("ready")
	const writers = 16
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				tag := fmt.Sprintf("p%d-g%d-%d", os.Getpid(), g, i)
				e := Entry{Type: TypeReceived, Actor: "gh-ag-accra", Payload: []byte(tag + strings.Repeat(".", 200+i%800))}
				seq, err := l.Append(context.Background(), e)
				if err != nil {
					die(err)
				}
				fmt.Printf("%d %s\n", seq, tag)
			}
		}()
	}
	wg.Wait()
}

// TestCrashDuringAppends kills a process appending from many goroutines at
// random points, again and again on the same log: after every kill the log
// verifies, holds every record whose Append returned, and extends the
// checkpoint verified after the previous kill.
func TestCrashDuringAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	a := newAgency(t, "wacap", "sn-pj-dakar")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "card.json"), a.cardJSON(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seed"), a.key.Seed(), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	iterations := 60
	deadline := time.Now().Add(40 * time.Second)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var earlier []byte
	var total int
	for it := 0; it < iterations && time.Now().Before(deadline); it++ {
		killAfter := rng.IntN(650) - 50 // below zero: kill while it opens
		acked := runAndKill(t, dir, killAfter)
		total += len(acked)

		r, err := OpenReader(path, ReadOptions{})
		if err != nil {
			if len(acked) == 0 {
				continue // killed before the first record: no log yet
			}
			t.Fatalf("iteration %d: %v", it, err)
		}
		rep, err := r.Verify(context.Background(), VerifyOptions{Card: a.card, Checkpoint: earlier})
		if err != nil {
			r.Close()
			t.Fatalf("iteration %d (killed after %d acks): %v", it, killAfter, err)
		}
		for seq, tag := range acked {
			p, err := r.Payload(seq)
			if err != nil {
				r.Close()
				t.Fatalf("iteration %d: acknowledged record %d lost: %v", it, seq, err)
			}
			if !strings.HasPrefix(string(p), tag+".") {
				r.Close()
				t.Fatalf("iteration %d: record %d holds %.30q, want %s", it, seq, p, tag)
			}
		}
		r.Close()
		if rep.Latest != nil {
			earlier = rep.Latest.Note
		}
	}
	t.Logf("%d acknowledged records survived their kills", total)
}

// runAndKill runs the child, kills it with SIGKILL once it has
// acknowledged killAfter records (at once if killAfter is negative, as soon
// as it has opened the log if zero), and returns every acknowledgement it
// printed before dying.
func runAndKill(t *testing.T, dir string, killAfter int) map[int64]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int64]string{}
	sc := bufio.NewScanner(out)
	killed := false
	kill := func() {
		if !killed {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
		}
	}
	if killAfter < 0 {
		kill()
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			if killAfter == 0 {
				kill()
			}
			continue
		}
		seqStr, tag, ok := strings.Cut(line, " ")
		seq, err := strconv.ParseInt(seqStr, 10, 64)
		if !ok || err != nil {
			kill()
			t.Fatalf("child printed %q", line)
		}
		acked[seq] = tag
		if len(acked) >= killAfter {
			kill()
		}
	}
	kill()
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child did not die of the kill: %v", err)
	}
	return acked
}
