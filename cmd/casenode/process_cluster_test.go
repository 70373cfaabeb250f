package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// procClusterMessages is how many messages each phase of the process
// cluster test sends: a short run in 'make test', the full 1,000 with
// CASENODE_CLUSTER=full ('make cluster').
func procClusterMessages() int {
	if os.Getenv("CASENODE_CLUSTER") == "full" {
		return 1000
	}
	return 150
}

// procCluster is a network whose hub is three 'casenode hub run'
// processes forming a NATS cluster on loopback ports, and whose agencies'
// node.json list the three servers' URLs.
type procCluster struct {
	*procNet
	// dirs are the servers' directories, listens their client addresses
	// (from each hub.json), names their cluster names: hub-a, hub-b, hub-c.
	dirs, listens, names []string
}

// newProcCluster makes the directories of a three-server hub and of the
// agencies with localnet (the other servers' made from the first one's
// with the code of 'casenode hub join-cluster'), then stops its
// in-process servers so that the processes can take over.
func newProcCluster(t *testing.T, exe string, agencies ...string) *procCluster {
	t.Helper()
	dir := t.TempDir()
	var as []localnet.Agency
	for _, a := range agencies {
		as = append(as, localnet.Agency{ID: a, Name: "Agency " + a, Country: "SN"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ln, err := localnet.Create(ctx, dir, localnet.Options{Network: "wacap", Kind: protocol.KindClassic, ResendTimeout: 2 * time.Second, Servers: 3, Hub: func(h *config.Hub) {
		// The test streams hundreds of messages in seconds.
		h.MemberLimits.MessagesPerSecond = 1_000_000
		h.MemberLimits.BytesPerSecond = 1 << 40
		h.MemberLimits.StoredMessages = 1 << 40
		h.MemberLimits.StoredBytes = 1 << 50
	}}, as...)
	if err != nil {
		t.Fatal(err)
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "logs")
	if keep := os.Getenv("CASENODE_CLUSTER_LOGS"); keep != "" {
		// The processes' whole logs, kept after the test.
		logs = filepath.Join(keep, fmt.Sprintf("%s-%d", t.Name(), time.Now().Unix()))
	}
	pc := &procCluster{procNet: &procNet{t: t, exe: exe, ln: ln, logs: logs, procs: map[string]*procCmd{}}}
	for i := range ln.Servers() {
		cfg, err := config.LoadHub(ln.ServerDir(i))
		if err != nil {
			t.Fatal(err)
		}
		pc.dirs = append(pc.dirs, ln.ServerDir(i))
		pc.listens = append(pc.listens, cfg.Listen)
		pc.names = append(pc.names, cfg.Cluster.ServerName)
	}
	pc.listen = pc.listens[0]
	for _, a := range agencies {
		cfg, err := config.LoadNode(ln.AgencyDir(a))
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.HubURLs) != 3 {
			t.Fatalf("%s's node.json lists the hub URLs %v, want the three servers'", a, cfg.HubURLs)
		}
	}
	if err := os.MkdirAll(pc.logs, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pc.killAll()
		if t.Failed() {
			pc.dumpLogs()
		}
	})
	return pc
}

// startServers runs 'casenode hub run' for the servers i, at once (a
// server waits for a quorum), and waits until each takes connections.
func (pc *procCluster) startServers(is ...int) {
	pc.t.Helper()
	for _, i := range is {
		pc.start(pc.names[i], "hub", "run", "--dir", pc.dirs[i])
	}
	for _, i := range is {
		poll.Until(pc.t, 2*time.Minute, pc.names[i]+" to listen on "+pc.listens[i], func() bool {
			c, err := net.DialTimeout("tcp", pc.listens[i], time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
	}
}

// server is the index of the server whose client address is in url.
func (pc *procCluster) server(url string) int {
	for i, l := range pc.listens {
		if strings.HasSuffix(url, "://"+l) || url == l {
			return i
		}
	}
	return -1
}

// connectedTo is the index of the server an agency's node is connected
// to, or -1 when it is offline.
func (pc *procCluster) connectedTo(agency string) int {
	pc.t.Helper()
	s, err := pc.client(agency).Status(context.Background())
	if err != nil || s.Hub.State != "online" {
		return -1
	}
	return pc.server(s.Hub.URL)
}

// hubStatus runs 'casenode hub status' through server i, as an operator
// would before stopping another server; it fails unless every stream,
// bucket and consumer has all its replicas current.
func (pc *procCluster) hubStatus(i int) (string, error) {
	out, err := exec.Command(pc.exe, "hub", "status", "--dir", pc.dirs[0], "--hub", "nats://"+pc.listens[i]).CombinedOutput()
	return string(out), err
}

// waitCurrent waits until 'casenode hub status' through server i says
// every replica is current, and returns how long that took and its
// output.
func (pc *procCluster) waitCurrent(i int) (time.Duration, string) {
	pc.t.Helper()
	start := time.Now()
	var out string
	var err error
	tries := 0
	poll.Until(lastErr{pc.t, &err}, 3*time.Minute, "every replica current ('casenode hub status' through "+pc.names[i]+")", func() bool {
		tries++
		out, err = pc.hubStatus(i)
		if err != nil {
			if tries == 1 || tries%20 == 0 {
				pc.t.Logf("%s after %s: %v\n%s", pc.names[i], time.Since(start).Round(time.Millisecond), err, waiting(out))
			}
			err = fmt.Errorf("%w\n%s", err, out)
		}
		return err == nil
	})
	return time.Since(start), out
}

// waitBackOnline waits until both nodes are online on a server other than
// the one killed, and returns how long after the kill the sender was.
func (pc *procCluster) waitBackOnline(killed int, at time.Time, agencies ...string) time.Duration {
	pc.t.Helper()
	var took time.Duration
	for k, a := range agencies {
		poll.Until(pc.t, 2*time.Minute, a+" online on another server than "+pc.names[killed], func() bool {
			i := pc.connectedTo(a)
			return i >= 0 && i != killed
		})
		if k == 0 {
			took = time.Since(at)
		}
	}
	return took
}

// TestProcessCluster runs a hub of three 'casenode hub run' processes and
// two 'casenode run' nodes listing the three, and streams messages from
// one agency to the other while (1) the server the sender is connected to
// is killed with SIGKILL and restarted later from the same directory, and
// (2) a server is killed, its JetStream store deleted, and restarted
// empty: it must catch up from the others. Every message must reach the
// recipient's inbox exactly once, in the sender's sending order, the
// nodes must come back online on the remaining servers within seconds,
// and both audit logs must verify (issue #18).
func TestProcessCluster(t *testing.T) {
	if os.Getenv("CASENODE_CLUSTER") == "" {
		// 150 messages take 65–145 s here (up to 30 s of it is 'casenode
		// hub status' through a server just restarted, whose first answer
		// may time out), and it does not pass every time yet (issue #18):
		// receipts whose acknowledgement was late stay parked while the hub
		// refuses the later ones with 409, so copies stay relayed for
		// minutes; and once, 3 messages came after later ones. Not for
		// 'make test'. CASENODE_CLUSTER=short runs 150 messages, 'make
		// cluster' (full) 1,000.
		t.Skip("runs three hub processes and two nodes: set CASENODE_CLUSTER (make cluster)")
	}
	exe := procBuild(t, t.TempDir())
	begin := time.Now()
	n := procClusterMessages()
	pc := newProcCluster(t, exe, procSender, procReceiver)
	pc.startServers(0, 1, 2)
	for _, a := range []string{procSender, procReceiver} {
		pc.startNode(a)
	}
	for _, a := range []string{procSender, procReceiver} {
		pc.waitOnline(a)
	}
	sender := pc.client(procSender)

	// Phase 1: kill -9 the sender's server in the middle of the stream,
	// restart it later.
	s := procSend(sender, procReceiver, n)
	pc.waitAcknowledged(n / 3)
	victim := pc.connectedTo(procSender)
	if victim < 0 {
		t.Fatalf("%s is not online on any of the servers", procSender)
	}
	sentAtKill, ackedAtKill := s.sent(), pc.acknowledged()
	killedAt := time.Now()
	pc.kill(pc.names[victim])
	back := pc.waitBackOnline(victim, killedAt, procSender, procReceiver)
	t.Logf("phase 1: killed %s (the sender's server) with SIGKILL after %d of %d sends, %d acknowledged by the hub; the sender was online on another server %s later",
		pc.names[victim], sentAtKill, n, ackedAtKill, back.Round(time.Millisecond))
	pc.waitAcknowledged(2 * n / 3)
	ackedAtRestart := pc.acknowledged()
	pc.startServers(victim)
	ids := s.wait(t)
	phase1 := time.Now()
	t.Logf("phase 1: %d sends returned in %s; %s restarted after %d acknowledged", len(ids), s.took.Round(time.Millisecond), pc.names[victim], ackedAtRestart)
	lost1, dup1, order1 := pc.checkInbox(ids)
	t.Logf("phase 1: %d messages: %d lost, %d duplicated, %d received after one sent later; all delivered %s after the last send returned", n, lost1, dup1, order1, time.Since(phase1).Round(time.Millisecond))
	if lost1 != 0 || dup1 != 0 || order1 != 0 {
		t.Fatalf("phase 1: %d lost, %d duplicated, %d out of order; want none", lost1, dup1, order1)
	}
	took, out := pc.waitCurrent(victim)
	t.Logf("phase 1: every replica current %s after the stream, through %s:\n%s", took.Round(time.Millisecond), pc.names[victim], out)

	// Phase 2: kill -9 a server, delete its store, send while it is
	// down, and restart it empty.
	empty := (victim + 1) % 3
	store := pc.storeDir(empty)
	s = procSend(sender, procReceiver, n)
	pc.waitAcknowledged(n + n/3)
	ackedAtKill = pc.acknowledged() - n
	killedAt = time.Now()
	pc.kill(pc.names[empty])
	if err := os.RemoveAll(store); err != nil {
		t.Fatal(err)
	}
	back = pc.waitBackOnline(empty, killedAt, procSender, procReceiver)
	t.Logf("phase 2: killed %s with SIGKILL after %d of %d acknowledged and deleted its store %s; both nodes online on the other servers %s later",
		pc.names[empty], ackedAtKill, n, store, back.Round(time.Millisecond))
	pc.waitAcknowledged(n + 2*n/3)
	restartedAt := time.Now()
	pc.startServers(empty)
	ids2 := s.wait(t)
	_, out = pc.waitCurrent(empty)
	t.Logf("phase 2: %s restarted with an empty store; every replica current %s after its restart, through it:\n%s", pc.names[empty], time.Since(restartedAt).Round(time.Millisecond), out)
	all := append(append([]string(nil), ids...), ids2...)
	lost2, dup2, order2 := pc.checkInbox(all)
	t.Logf("phase 2: %d messages in all: %d lost, %d duplicated, %d received after one sent later", len(all), lost2, dup2, order2)
	if lost2 != 0 || dup2 != 0 || order2 != 0 {
		t.Fatalf("phase 2: %d lost, %d duplicated, %d out of order; want none", lost2, dup2, order2)
	}

	for _, a := range []string{procSender, procReceiver} {
		pc.stop(a)
		pc.verifyAudit(a)
	}
	t.Logf("both audit logs verify; the test took %s", time.Since(begin).Round(time.Second))
}

// acknowledged is how many of the sender's copies the hub has
// acknowledged (relayed, delivered or read).
func (pc *procCluster) acknowledged() int {
	pc.t.Helper()
	st, err := pc.client(procSender).Status(context.Background())
	if err != nil {
		return -1
	}
	c := st.Outbox.Copies
	return int(c[agency.CopyRelayed] + c[agency.CopyDelivered] + c[agency.CopyRead])
}

// waitAcknowledged waits until the hub has acknowledged k of the
// sender's copies.
func (pc *procCluster) waitAcknowledged(k int) {
	pc.t.Helper()
	poll.Until(pc.t, 3*time.Minute, fmt.Sprintf("%d copies acknowledged by the hub", k), func() bool { return pc.acknowledged() >= k })
}

// storeDir is the JetStream store directory of server i (hub.json's
// store_dir).
func (pc *procCluster) storeDir(i int) string {
	pc.t.Helper()
	cfg, err := config.LoadHub(pc.dirs[i])
	if err != nil {
		pc.t.Fatal(err)
	}
	return cfg.StoreDir
}

// checkInbox waits until the sender's node has every copy of ids
// delivered, then reads the recipient's inbox (in arrival order) and
// returns how many of ids it lacks, how many it holds more than once, and
// how many it lists after one the sender sent later. The sending order is
// the sender's outbox order (the order its node sealed them in).
func (pc *procCluster) checkInbox(ids []string) (lost, dup, outOfOrder int) {
	pc.t.Helper()
	ctx := context.Background()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	sender, receiver := pc.client(procSender), pc.client(procReceiver)
	var err error
	poll.Until(lastErr{pc.t, &err}, 3*time.Minute, fmt.Sprintf("%d messages in %s's inbox", len(ids), procReceiver), func() bool {
		var inbox []*agency.MessageSummary
		if inbox, err = receiver.Inbox(ctx, agency.InboxQuery{From: procSender}); err == nil {
			err = fmt.Errorf("%d received", len(inbox))
			return len(inbox) >= len(ids)
		}
		return false
	})
	// Then their receipts at the sender: every copy delivered.
	poll.Until(lastErr{pc.t, &err}, 3*time.Minute, fmt.Sprintf("%s's %d copies delivered (receipted)", procSender, len(ids)), func() bool {
		st, serr := sender.Status(ctx)
		if serr != nil {
			err = serr
			return false
		}
		delivered := int(st.Outbox.Copies[agency.CopyDelivered] + st.Outbox.Copies[agency.CopyRead])
		err = fmt.Errorf("%d delivered, copies %v", delivered, st.Outbox.Copies)
		return delivered >= len(ids)
	})
	out, err := sender.Outbox(ctx, agency.OutboxQuery{To: procReceiver})
	if err != nil {
		pc.t.Fatal(err)
	}
	pos := map[string]int{}
	for _, it := range out {
		if want[it.ID] {
			pos[it.ID] = len(pos)
		}
	}
	if len(pos) != len(ids) {
		pc.t.Fatalf("the sender's outbox lists %d of the %d messages sent", len(pos), len(ids))
	}
	inbox, err := receiver.Inbox(ctx, agency.InboxQuery{From: procSender})
	if err != nil {
		pc.t.Fatal(err)
	}
	seen, last := map[string]int{}, -1
	for _, m := range inbox {
		i, ok := pos[m.ID]
		if !ok {
			pc.t.Errorf("%s's inbox holds a message %s that %s did not send", procReceiver, m.ID, procSender)
			continue
		}
		seen[m.ID]++
		if seen[m.ID] == 2 {
			dup++
		}
		if i < last {
			outOfOrder++
			if outOfOrder <= 3 {
				pc.t.Logf("out of order: message %d received (inbox seq %d) after message %d", i, m.Seq, last)
			}
		}
		last = max(last, i)
	}
	return len(ids) - len(seen), dup, outOfOrder
}

// lastErr fails t with the last error a wait saw.
type lastErr struct {
	t    *testing.T
	last *error
}

func (l lastErr) Fatalf(format string, args ...any) {
	l.t.Helper()
	l.t.Fatalf(format+" (last: %v)", append(args, *l.last)...)
}

// waiting keeps the lines of 'casenode hub status' that say what is not
// current.
func waiting(out string) string {
	var keep []string
	for l := range strings.SplitSeq(out, "\n") {
		if !strings.HasPrefix(l, "ok ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
