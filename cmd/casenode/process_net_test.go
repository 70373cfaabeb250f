package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// procBuild builds the casenode binary into dir with the go command. The
// process tests run it as the hub and the nodes, as an operator would.
func procBuild(t *testing.T, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build the binary")
	}
	exe := filepath.Join(dir, "casenode")
	start := time.Now()
	out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %s", exe, time.Since(start).Round(time.Millisecond))
	return exe
}

// procNet is a hub and agencies whose directories localnet made, run as
// processes of the casenode binary: 'casenode hub run' and 'casenode run'.
type procNet struct {
	t   *testing.T
	exe string
	ln  *localnet.Net
	// root holds the agencies' directories when ln is nil (made with the
	// commands, not localnet).
	root string
	// listen is the hub's HOST:PORT, the same across restarts: it is in
	// every node's node.json.
	listen string
	logs   string

	mu    sync.Mutex
	procs map[string]*procCmd
}

// procCmd is one running process.
type procCmd struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// procHub names the hub among the processes.
const procHub = "hub"

// newProcNet makes the network's directories with localnet, then stops its
// in-process hub so that the processes can take over.
func newProcNet(t *testing.T, exe string, agencies ...string) *procNet {
	t.Helper()
	dir := t.TempDir()
	var as []localnet.Agency
	for _, a := range agencies {
		as = append(as, localnet.Agency{ID: a, Name: "Agency " + a, Country: "SN"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ln, err := localnet.Create(ctx, dir, localnet.Options{Network: "wacap", Kind: protocol.KindClassic, ResendTimeout: 2 * time.Second}, as...)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(ln.HubURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	pn := &procNet{t: t, exe: exe, ln: ln, listen: u.Host, logs: filepath.Join(dir, "logs"), procs: map[string]*procCmd{}}
	if err := os.Mkdir(pn.logs, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pn.killAll()
		if t.Failed() {
			pn.dumpLogs()
		}
	})
	return pn
}

// start runs a process of the binary under name, its output appended to
// logs/NAME.log.
func (pn *procNet) start(name string, args ...string) {
	pn.t.Helper()
	pn.mu.Lock()
	defer pn.mu.Unlock()
	if pn.procs[name] != nil {
		pn.t.Fatalf("%s is already running", name)
	}
	log, err := os.OpenFile(filepath.Join(pn.logs, name+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		pn.t.Fatal(err)
	}
	fmt.Fprintf(log, "--- %s: casenode %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
	cmd := exec.Command(pn.exe, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		pn.t.Fatalf("start %s: %v", name, err)
	}
	p := &procCmd{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	pn.procs[name] = p
}

// startHub runs 'casenode hub run' on the network's fixed address and waits
// until it accepts connections.
func (pn *procNet) startHub() {
	pn.t.Helper()
	pn.start(procHub, "hub", "run", "--dir", pn.ln.HubDir(), "--listen", pn.listen)
	poll.Until(pn.t, 2*time.Minute, "the hub to listen on "+pn.listen, func() bool {
		c, err := net.DialTimeout("tcp", pn.listen, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// startNode runs 'casenode run' for an agency and waits until its API
// answers.
func (pn *procNet) startNode(agency string) {
	pn.t.Helper()
	pn.start(agency, "run", "--dir", pn.agencyDir(agency))
	c := pn.client(agency)
	poll.Until(pn.t, 2*time.Minute, agency+"'s API", func() bool {
		_, err := c.Status(context.Background())
		return err == nil
	})
}

// waitOnline waits until an agency's node is online with the roster.
func (pn *procNet) waitOnline(agency string) {
	pn.t.Helper()
	c := pn.client(agency)
	poll.Until(pn.t, 2*time.Minute, agency+" online", func() bool {
		s, err := c.Status(context.Background())
		return err == nil && s.Hub.State == "online" && s.Roster != nil && s.Roster.Standing == "active"
	})
}

// kill ends a process with SIGKILL and waits for it.
func (pn *procNet) kill(name string) {
	pn.t.Helper()
	p := pn.take(name)
	if err := p.cmd.Process.Kill(); err != nil {
		pn.t.Fatalf("kill %s: %v", name, err)
	}
	<-p.done
}

// stop ends a process with SIGINT, as Ctrl-C or a service manager would,
// and checks that it exits cleanly.
func (pn *procNet) stop(name string) {
	pn.t.Helper()
	p := pn.take(name)
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		pn.t.Fatalf("interrupt %s: %v", name, err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		pn.t.Fatalf("%s did not stop within 30s of SIGINT", name)
	}
	if p.err != nil {
		pn.t.Fatalf("%s exited with %v", name, p.err)
	}
}

func (pn *procNet) take(name string) *procCmd {
	pn.t.Helper()
	pn.mu.Lock()
	defer pn.mu.Unlock()
	p := pn.procs[name]
	if p == nil {
		pn.t.Fatalf("%s is not running", name)
	}
	delete(pn.procs, name)
	return p
}

// killAll kills whatever still runs, at the end of a test.
func (pn *procNet) killAll() {
	pn.mu.Lock()
	defer pn.mu.Unlock()
	for name, p := range pn.procs {
		p.cmd.Process.Kill()
		<-p.done
		delete(pn.procs, name)
	}
}

// dumpLogs shows the end of every process's log.
func (pn *procNet) dumpLogs() {
	entries, _ := os.ReadDir(pn.logs)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(pn.logs, e.Name()))
		if err != nil {
			continue
		}
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		pn.t.Logf("--- end of %s:\n%s", e.Name(), b)
	}
}

// agencyDir is an agency's directory.
func (pn *procNet) agencyDir(agency string) string {
	if pn.ln != nil {
		return pn.ln.AgencyDir(agency)
	}
	return filepath.Join(pn.root, agency)
}

// client returns a client of an agency's node API on its Unix socket.
func (pn *procNet) client(agency string) *api.Client {
	pn.t.Helper()
	cfg, err := config.LoadNode(pn.agencyDir(agency))
	if err != nil {
		pn.t.Fatal(err)
	}
	return api.NewUnixClient(cfg.API.Socket, "tester")
}

// verifyAudit runs 'casenode audit verify' on a stopped agency's log.
func (pn *procNet) verifyAudit(agency string) {
	pn.t.Helper()
	dir := pn.agencyDir(agency)
	out, err := exec.Command(pn.exe, "audit", "verify", "--db", filepath.Join(dir, "audit.db"), "--card", filepath.Join(dir, "member.json")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": verified") {
		pn.t.Fatalf("audit verify of %s: %v\n%s", agency, err, out)
	}
}

// procStream sends n leads from one agency to another through the sender's
// API, from several goroutines, and returns their ids once every send
// returned.
type procStream struct {
	mu  sync.Mutex
	ids []string
	// spans are when each message's send began and returned: a message
	// whose send began after another's returned was sent after it;
	// messages sent at the same time have no order.
	spans map[string][2]time.Time
	err   error
	done  chan struct{}
	start time.Time
	took  time.Duration
}

// procSend starts sending n leads from c to agency to.
func procSend(c *api.Client, to string, n int) *procStream {
	const workers = 8
	s := &procStream{done: make(chan struct{}), start: time.Now(), spans: map[string][2]time.Time{}}
	body := protocol.Example(protocol.TypeLead)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				began := time.Now()
				res, err := c.Send(context.Background(), agency.SendRequest{To: []string{to}, Type: protocol.TypeLead, Case: "stream", Body: body})
				s.mu.Lock()
				if err != nil {
					s.err = errors.Join(s.err, fmt.Errorf("send %d: %w", i, err))
				} else {
					s.ids = append(s.ids, res.ID)
					s.spans[res.ID] = [2]time.Time{began, time.Now()}
				}
				s.mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		s.took = time.Since(s.start)
		close(s.done)
	}()
	return s
}

// procSendUntil starts sending leads from c to agency to, one every
// interval (a steady stream, as a working day's), until stop is closed.
func procSendUntil(c *api.Client, to string, interval time.Duration, stop <-chan struct{}) *procStream {
	s := &procStream{done: make(chan struct{}), start: time.Now(), spans: map[string][2]time.Time{}}
	body := protocol.Example(protocol.TypeLead)
	go func() {
		defer close(s.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				s.took = time.Since(s.start)
				return
			case <-tick.C:
			}
			began := time.Now()
			res, err := c.Send(context.Background(), agency.SendRequest{To: []string{to}, Type: protocol.TypeLead, Case: "stream", Body: body})
			s.mu.Lock()
			if err != nil {
				s.err = errors.Join(s.err, fmt.Errorf("send %d: %w", len(s.ids), err))
			} else {
				s.ids = append(s.ids, res.ID)
				s.spans[res.ID] = [2]time.Time{began, time.Now()}
			}
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

// wait waits for every send to return and gives the ids sent.
func (s *procStream) wait(t *testing.T) []string {
	t.Helper()
	<-s.done
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.ids
}

// sent counts the sends returned so far.
func (s *procStream) sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}

// freeAddr returns a loopback HOST:PORT nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// setNodeConfig sets the top-level field key of the node.json in dir to
// value, as an operator editing the file would.
func setNodeConfig(t *testing.T, dir, key string, value any) {
	t.Helper()
	setConfig(t, filepath.Join(dir, "node.json"), key, value)
}

// setConfig sets the top-level field key of the JSON configuration file
// at path (node.json, hub.json) to value, keeping the file's mode.
func setConfig(t *testing.T, path, key string, value any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg[key] = value
	if b, err = json.MarshalIndent(cfg, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}
