package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// procClusterMessages is how many messages each phase of the process
// cluster test sends: 150 in 'make test' (about a minute under -race on a
// 2-core machine), the full 1,000 with CASENODE_CLUSTER=full ('make
// cluster').
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
	// spans are when the sends of the messages began and returned.
	spans map[string][2]time.Time
}

// newProcCluster makes the directories of a three-server hub and of the
// agencies with the commands a secretariat and the agencies run: 'casenode
// hub init --cluster' for the first server, 'casenode init' for each
// agency, 'casenode member add' on the first server, 'casenode hub
// join-cluster' from the first server's directory for the two others, and
// 'casenode join' with the three servers' URLs.
func newProcCluster(t *testing.T, exe string, agencies ...string) *procCluster {
	t.Helper()
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if keep := os.Getenv("CASENODE_CLUSTER_LOGS"); keep != "" {
		// The processes' whole logs, kept after the test.
		logs = filepath.Join(keep, fmt.Sprintf("%s-%d", t.Name(), time.Now().Unix()))
	}
	pc := &procCluster{procNet: &procNet{t: t, exe: exe, root: dir, logs: logs, procs: map[string]*procCmd{}}}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(exe, args...).CombinedOutput(); err != nil {
			t.Fatalf("casenode %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	var routes, urls []string
	routeListens := make([]string, 3)
	for i := range 3 {
		pc.names = append(pc.names, "hub-"+string(rune('a'+i)))
		pc.dirs = append(pc.dirs, filepath.Join(dir, pc.names[i]))
		pc.listens = append(pc.listens, freeAddr(t))
		routeListens[i] = freeAddr(t)
		routes = append(routes, "nats-route://"+routeListens[i])
		urls = append(urls, "nats://"+pc.listens[i])
	}
	first := pc.dirs[0]
	run("hub", "init", "--dir", first, "--network", "wacap", "--country", "SN", "--classic", "--listen", pc.listens[0],
		"--cluster", "wacap-hub", "--server-name", pc.names[0], "--cluster-listen", routeListens[0], "--routes", strings.Join(routes, ","))
	// The test streams hundreds of messages in seconds.
	cfg, err := config.LoadHub(first)
	if err != nil {
		t.Fatal(err)
	}
	limits := cfg.MemberLimits
	limits.MessagesPerSecond, limits.BytesPerSecond, limits.StoredMessages, limits.StoredBytes = 1_000_000, 1<<40, 1<<40, 1<<50
	setConfig(t, filepath.Join(first, config.HubFile), "member_limits", limits)
	for _, a := range agencies {
		run("init", "--dir", pc.agencyDir(a), "--network", "wacap", "--agency", a, "--name", "Agency "+a, "--country", "SN", "--classic")
		run("member", "add", "--dir", first, filepath.Join(pc.agencyDir(a), "member.json"))
	}
	for i := 1; i < 3; i++ {
		run("hub", "join-cluster", "--from", first, "--dir", pc.dirs[i], "--server-name", pc.names[i], "--listen", pc.listens[i], "--cluster-listen", routeListens[i])
	}
	for _, a := range agencies {
		run("join", "--dir", pc.agencyDir(a), "--hub", strings.Join(urls, ","), "--creds", filepath.Join(first, "creds", a+".creds"),
			"--secretariat", filepath.Join(first, "secretariat", "member.json"))
		// The nodes wait for the hub's answers longer than the hub's
		// ingest takes to give one (10 s, a stream leader lost
		// included): with a shorter resend_timeout, an answer the node
		// gave up on left its copies waiting for the receipt timeout
		// while the hub refused the later ones.
		setNodeConfig(t, pc.agencyDir(a), "resend_timeout", "15s")
		cfg, err := config.LoadNode(pc.agencyDir(a))
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.HubURLs) != 3 {
			t.Fatalf("%s's node.json lists the hub URLs %v, want the three servers'", a, cfg.HubURLs)
		}
	}
	pc.listen = pc.listens[0]
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
// server waits for a quorum), and waits until each takes the members'
// connections: a clustered server opens its client port at start but
// admits members only once its ingest runs, when it logs "hub listening"
// (a node whose server is killed before the others admit it stays
// offline meanwhile).
func (pc *procCluster) startServers(is ...int) {
	pc.t.Helper()
	from := map[int]int64{}
	for _, i := range is {
		if fi, err := os.Stat(filepath.Join(pc.logs, pc.names[i]+".log")); err == nil {
			from[i] = fi.Size()
		}
		pc.start(pc.names[i], "hub", "run", "--dir", pc.dirs[i])
	}
	for _, i := range is {
		poll.Until(pc.t, 2*time.Minute, pc.names[i]+" to admit members on "+pc.listens[i], func() bool {
			b, err := os.ReadFile(filepath.Join(pc.logs, pc.names[i]+".log"))
			return err == nil && int64(len(b)) > from[i] && strings.Contains(string(b[from[i]:]), `msg="hub listening"`)
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
// and both audit logs must verify (issue #18). (3) A rolling restart of
// the three servers, one at a time, during a steady third stream, loses
// nothing. (4) With one server stopped, an agency admitted and revoked
// reaches both nodes in the roster.
func TestProcessCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three hub processes and two nodes (about a minute)")
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
	pc.spans = s.spans
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
	maps.Copy(pc.spans, s.spans)
	_, out = pc.waitCurrent(empty)
	t.Logf("phase 2: %s restarted with an empty store; every replica current %s after its restart, through it:\n%s", pc.names[empty], time.Since(restartedAt).Round(time.Millisecond), out)
	all := append(append([]string(nil), ids...), ids2...)
	lost2, dup2, order2 := pc.checkInbox(all)
	t.Logf("phase 2: %d messages in all: %d lost, %d duplicated, %d received after one sent later", len(all), lost2, dup2, order2)
	if lost2 != 0 || dup2 != 0 || order2 != 0 {
		t.Fatalf("phase 2: %d lost, %d duplicated, %d out of order; want none", lost2, dup2, order2)
	}

	// Phase 3: a rolling restart of the three servers, one at a time,
	// each stopped as a service manager would (SIGINT) and started again,
	// the next once every replica on the restarted one is current, during
	// a steady stream that lasts until the third is current again.
	stopStream := make(chan struct{})
	s = procSendUntil(sender, procReceiver, 40*time.Millisecond, stopStream)
	pc.waitAcknowledged(2*n + 20)
	for _, i := range []int{0, 1, 2} {
		at, began := s.sent(), time.Now()
		pc.stop(pc.names[i])
		stopped := time.Now()
		pc.startServers(i)
		started := time.Now()
		took, _ := pc.waitCurrent(i)
		t.Logf("phase 3: restarted %s after %d sends of the stream: stopped in %s, listening %s later, every replica current through it %s after that",
			pc.names[i], at, stopped.Sub(began).Round(time.Millisecond), started.Sub(stopped).Round(time.Millisecond), took.Round(time.Millisecond))
	}
	close(stopStream)
	ids3 := s.wait(t)
	maps.Copy(pc.spans, s.spans)
	all = append(all, ids3...)
	lost3, dup3, order3 := pc.checkInbox(all)
	t.Logf("phase 3: %d messages in all: %d lost, %d duplicated, %d received after one sent later", len(all), lost3, dup3, order3)
	if lost3 != 0 || dup3 != 0 || order3 != 0 {
		t.Fatalf("phase 3: %d lost, %d duplicated, %d out of order; want none", lost3, dup3, order3)
	}

	// Phase 4: with one server stopped, the secretariat admits an agency
	// and then revokes it ('casenode member add' and 'member revoke' on
	// the first server's directory, SIGHUP to its 'hub run'): each roster
	// reaches both nodes, and the stopped server, started again, catches
	// up with the last.
	down := 1
	pc.stop(pc.names[down])
	newcomer := "ml-pg-bamako"
	pc.cli("init", "--dir", pc.agencyDir(newcomer), "--network", "wacap", "--agency", newcomer, "--name", "Agency "+newcomer, "--country", "ML", "--classic")
	serial, active := pc.rosterSerial(procSender)
	pc.cli("member", "add", "--dir", pc.dirs[0], filepath.Join(pc.agencyDir(newcomer), "member.json"))
	pc.hup(pc.names[0])
	admitted := pc.waitRoster(serial+1, active+1)
	pc.cli("member", "revoke", "--dir", pc.dirs[0], newcomer)
	pc.hup(pc.names[0])
	revoked := pc.waitRoster(admitted+1, active)
	pc.startServers(down)
	took, _ = pc.waitCurrent(down)
	t.Logf("phase 4: with %s stopped, %s admitted (roster serial %d) and revoked (serial %d): both nodes took each; %s, started again, current %s after it listened",
		pc.names[down], newcomer, admitted, revoked, pc.names[down], took.Round(time.Millisecond))

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
// how many it lists after one whose send began after theirs returned (the
// order a node keeps: messages sent at the same time have none).
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
	seen := map[string]int{}
	order := pc.orderCheck()
	for _, m := range inbox {
		if _, ok := pos[m.ID]; !ok {
			pc.t.Errorf("%s's inbox holds a message %s that %s did not send", procReceiver, m.ID, procSender)
			continue
		}
		seen[m.ID]++
		if seen[m.ID] == 2 {
			dup++
		}
		if after := order(m.ID); after != "" {
			outOfOrder++
			if outOfOrder <= 3 {
				pc.t.Logf("out of order: message %d (outbox order) received (inbox seq %d) after message %d, whose send began after its send returned", pos[m.ID], m.Seq, pos[after])
			}
		}
	}
	if outOfOrder > 0 {
		// Where the order went: the stream, or the recipient's inbox.
		if n, err := pc.storedOutOfOrder(pos); err != nil {
			pc.t.Logf("cannot read the messages stream's order: %v", err)
		} else {
			pc.t.Logf("the messages stream holds %d of them after one sent after them", n)
		}
	}
	return len(ids) - len(seen), dup, outOfOrder
}

// orderCheck returns a function that, called with messages in the order
// they arrived, names the message received so far whose send began after
// the given one's returned, or "" if there is none.
func (pc *procCluster) orderCheck() func(id string) string {
	var latest time.Time
	var latestID string
	return func(id string) string {
		span := pc.spans[id]
		after := ""
		if latest.After(span[1]) {
			after = latestID
		}
		if span[0].After(latest) {
			latest, latestID = span[0], id
		}
		return after
	}
}

// storedOutOfOrder counts the messages of pos (message id to outbox
// position) that the messages stream holds after one whose send began
// after theirs returned, reading it through the admin user.
func (pc *procCluster) storedOutOfOrder(pos map[string]int) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nc, cfg, err := hub.ConnectAdminDir(pc.dirs[0], "")
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	st, err := js.Stream(ctx, protocol.StreamName(cfg.Network))
	if err != nil {
		return 0, err
	}
	filter := protocol.InboxFilter(cfg.Network, procReceiver)
	order, n := pc.orderCheck(), 0
	for seq := uint64(1); ; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		seq = m.Sequence + 1
		id, _, _ := strings.Cut(strings.TrimPrefix(m.Header.Get(jetstream.MsgIDHeader), procSender+"/"), ":")
		if _, ok := pos[id]; !ok {
			continue
		}
		if after := order(id); after != "" {
			n++
			if n <= 3 {
				pc.t.Logf("stored out of order: message %d (stream seq %d) after message %d", pos[id], m.Sequence, pos[after])
			}
		}
	}
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

// cli runs the casenode binary under test with args and fails the test if
// it fails.
func (pc *procCluster) cli(args ...string) {
	pc.t.Helper()
	if out, err := exec.Command(pc.exe, args...).CombinedOutput(); err != nil {
		pc.t.Fatalf("casenode %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// hup sends SIGHUP to the process name, as 'systemctl reload' would: a
// hub applies its roster then.
func (pc *procCluster) hup(name string) {
	pc.t.Helper()
	pc.mu.Lock()
	p := pc.procs[name]
	pc.mu.Unlock()
	if p == nil {
		pc.t.Fatalf("%s is not running", name)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		pc.t.Fatalf("SIGHUP %s: %v", name, err)
	}
}

// rosterSerial is the serial of the roster agency's node holds, and how
// many active members it lists.
func (pc *procCluster) rosterSerial(agency string) (uint64, int) {
	pc.t.Helper()
	st, err := pc.client(agency).Status(context.Background())
	if err != nil || st.Roster == nil {
		pc.t.Fatalf("status of %s: %v", agency, err)
	}
	return st.Roster.Serial, st.Roster.Active
}

// waitRoster waits until both nodes hold a roster of serial at least
// min with active active members, and returns its serial.
func (pc *procCluster) waitRoster(min uint64, active int) uint64 {
	pc.t.Helper()
	var got uint64
	for _, a := range []string{procSender, procReceiver} {
		var err error
		poll.Until(lastErr{pc.t, &err}, time.Minute, fmt.Sprintf("%s holding a roster of serial %d or later with %d active members", a, min, active), func() bool {
			st, serr := pc.client(a).Status(context.Background())
			if serr != nil || st.Roster == nil {
				err = fmt.Errorf("status: %v", serr)
				return false
			}
			err = fmt.Errorf("roster serial %d, %d active members", st.Roster.Serial, st.Roster.Active)
			got = st.Roster.Serial
			return st.Roster.Serial >= min && st.Roster.Active == active
		})
	}
	return got
}
