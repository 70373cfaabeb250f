package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
)

// The agencies of the process tests, and the length of each stream.
const (
	procSender   = "sn-pj-dakar"
	procReceiver = "gh-ag-accra"
	procMessages = 1000
)

// TestProcess runs the hub and two agencies' nodes as processes of the
// built casenode binary, kills or stops them in the middle of streams of
// messages, restarts them, and checks that every message arrives in the
// recipient's inbox exactly once and every copy is receipted, and that
// both audit logs verify; runs 'casenode demo --keep' with the
// commands it suggests; and signs in to a node's web console and to the
// secretariat's.
func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	exe := procBuild(t, t.TempDir())
	t.Run("KillReceiver", func(t *testing.T) { testKillReceiver(t, exe) })
	t.Run("KillSender", func(t *testing.T) { testKillSender(t, exe) })
	t.Run("KillHub", func(t *testing.T) { testKillHub(t, exe) })
	t.Run("ReceiverOffline", func(t *testing.T) { testReceiverOffline(t, exe) })
	t.Run("SendWhileHubDown", func(t *testing.T) { testSendWhileHubDown(t, exe) })
	t.Run("DemoKeep", func(t *testing.T) { testDemoKeep(t, exe) })
	t.Run("Console", func(t *testing.T) { testConsoleRun(t, exe) })
	t.Run("Metrics", func(t *testing.T) { testMetricsRun(t, exe) })
	t.Run("HubConsole", func(t *testing.T) { testHubConsoleRun(t, exe) })
	t.Run("HubOnlineBackup", func(t *testing.T) { testHubOnlineBackup(t, exe) })
}

// startProcNet starts the hub and both nodes and waits until they are
// online.
func startProcNet(t *testing.T, exe string) *procNet {
	pn := newProcNet(t, exe, procSender, procReceiver)
	pn.startHub()
	for _, a := range []string{procSender, procReceiver} {
		pn.startNode(a)
	}
	for _, a := range []string{procSender, procReceiver} {
		pn.waitOnline(a)
	}
	return pn
}

// testKillReceiver: kill -9 the receiving node in the middle of a stream
// and restart it: every message is in its inbox exactly once.
func testKillReceiver(t *testing.T, exe string) {
	pn := startProcNet(t, exe)
	s := procSend(pn.client(procSender), procReceiver, procMessages)
	pn.waitInbox(procMessages * 3 / 10)
	pn.kill(procReceiver)
	t.Logf("killed %s with %d of %d messages sent", procReceiver, s.sent(), procMessages)
	restarted := time.Now()
	pn.startNode(procReceiver)
	ids := s.wait(t)
	t.Logf("sent %d messages in %s (%.0f/s accepted by the sender's API)", len(ids), s.took.Round(time.Millisecond), float64(len(ids))/s.took.Seconds())
	pn.waitDrained(procMessages)
	t.Logf("after the restart of %s, everything was delivered and receipted in %s (30s or more when the kill caught deliveries not yet acknowledged: the hub redelivers them after its ack wait)",
		procReceiver, time.Since(restarted).Round(time.Millisecond))
	pn.checkExactlyOnce(ids)
}

// testKillSender: kill -9 the sending node while its API takes sends, and
// restart it. Every send it acknowledged is delivered exactly once; a send
// the kill interrupted was either never recorded, or recorded, audited and
// delivered like the others: never half (in the outbox without its audit
// record, or published without being in the outbox).
func testKillSender(t *testing.T, exe string) {
	pn := startProcNet(t, exe)
	s := procSend(pn.client(procSender), procReceiver, procMessages)
	pn.waitInbox(procMessages * 3 / 10)
	pn.kill(procSender)
	<-s.done // each sending goroutine stops at its first failed send
	s.mu.Lock()
	acked := slices.Clone(s.ids)
	s.mu.Unlock()
	t.Logf("killed %s with %d of %d sends acknowledged", procSender, len(acked), procMessages)
	pn.startNode(procSender)
	pn.waitOnline(procSender)
	out, err := pn.client(procSender).Outbox(context.Background(), agency.OutboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(out))
	inOutbox := map[string]bool{}
	for i, m := range out {
		ids[i] = m.ID
		inOutbox[m.ID] = true
	}
	for _, id := range acked {
		if !inOutbox[id] {
			t.Errorf("acknowledged send %s is not in the outbox after the restart", id)
		}
	}
	t.Logf("the outbox holds %d messages: %d acknowledged, %d recorded when the kill came", len(ids), len(acked), len(ids)-len(acked))
	pn.waitDrained(len(ids))
	pn.checkExactlyOnce(ids)
}

// testKillHub: kill -9 the hub in the middle of a stream and restart it:
// nothing is lost.
func testKillHub(t *testing.T, exe string) {
	pn := startProcNet(t, exe)
	s := procSend(pn.client(procSender), procReceiver, procMessages)
	pn.waitInbox(procMessages * 3 / 10)
	pn.kill(procHub)
	t.Logf("killed the hub with %d of %d messages sent", s.sent(), procMessages)
	restarted := time.Now()
	pn.startHub()
	pn.waitOnline(procSender)
	t.Logf("%s was online again %s after the hub's start", procSender, time.Since(restarted).Round(time.Millisecond))
	ids := s.wait(t)
	t.Logf("sent %d messages in %s (%.0f/s accepted by the sender's API)", len(ids), s.took.Round(time.Millisecond), float64(len(ids))/s.took.Seconds())
	pn.waitDrained(procMessages)
	t.Logf("after the restart of the hub, everything was delivered and receipted in %s", time.Since(restarted).Round(time.Millisecond))
	pn.checkExactlyOnce(ids)
}

// testReceiverOffline: a node offline while others send to it gets
// everything when it comes back.
func testReceiverOffline(t *testing.T, exe string) {
	pn := startProcNet(t, exe)
	pn.stop(procReceiver)
	s := procSend(pn.client(procSender), procReceiver, procMessages)
	ids := s.wait(t)
	sc := pn.client(procSender)
	poll.Until(t, 2*time.Minute, "every copy relayed to the hub", func() bool {
		st, err := sc.Status(context.Background())
		return err == nil && st.Outbox.Copies[agency.CopyRelayed] == int64(len(ids))
	})
	t.Logf("sent %d messages to the stopped %s in %s (%.0f/s); all relayed after %s", len(ids), procReceiver,
		s.took.Round(time.Millisecond), float64(len(ids))/s.took.Seconds(), time.Since(s.start).Round(time.Millisecond))
	restarted := time.Now()
	pn.startNode(procReceiver)
	pn.waitDrained(procMessages)
	d := time.Since(restarted)
	t.Logf("%s drained %d messages and its receipts came back in %s after its start (%.0f messages/s)", procReceiver, len(ids), d.Round(time.Millisecond), float64(len(ids))/d.Seconds())
	pn.checkExactlyOnce(ids)
}

// testSendWhileHubDown: a node that sends while the hub is down delivers
// everything once the hub is back.
func testSendWhileHubDown(t *testing.T, exe string) {
	pn := startProcNet(t, exe)
	pn.stop(procHub)
	sc := pn.client(procSender)
	poll.Until(t, 2*time.Minute, procSender+" offline", func() bool {
		st, err := sc.Status(context.Background())
		return err == nil && st.Hub.State != "online"
	})
	s := procSend(sc, procReceiver, procMessages)
	ids := s.wait(t)
	st, err := sc.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Outbox.Copies[agency.CopyQueued]; got != int64(len(ids)) {
		t.Fatalf("with the hub down, %d copies are queued, want %d", got, len(ids))
	}
	t.Logf("queued %d messages with the hub down in %s (%.0f/s)", len(ids), s.took.Round(time.Millisecond), float64(len(ids))/s.took.Seconds())
	restarted := time.Now()
	pn.startHub()
	pn.waitOnline(procSender)
	t.Logf("%s was online again %s after the hub's start", procSender, time.Since(restarted).Round(time.Millisecond))
	poll.Until(t, 2*time.Minute, "every copy at the hub", func() bool {
		st, err := sc.Status(context.Background())
		return err == nil && st.Outbox.Copies[agency.CopyQueued] == 0
	})
	t.Logf("the hub had every copy %s after its start", time.Since(restarted).Round(time.Millisecond))
	pn.waitDrained(procMessages)
	d := time.Since(restarted)
	t.Logf("after the hub's start, all %d were delivered and receipted in %s (%.0f messages/s)", len(ids), d.Round(time.Millisecond), float64(len(ids))/d.Seconds())
	pn.checkExactlyOnce(ids)
}

// waitInbox waits until the receiver's inbox holds at least n messages.
func (pn *procNet) waitInbox(n int) {
	pn.t.Helper()
	rc := pn.client(procReceiver)
	poll.Until(pn.t, 2*time.Minute, "the receiver's inbox to fill", func() bool {
		st, err := rc.Status(context.Background())
		return err == nil && st.Inbox.Messages >= int64(n)
	})
}

// waitDrained waits until the receiver holds n messages and the sender has
// n copies delivered.
func (pn *procNet) waitDrained(n int) {
	pn.t.Helper()
	rc, sc := pn.client(procReceiver), pn.client(procSender)
	poll.Until(pn.t, 2*time.Minute, "every message delivered and receipted", func() bool {
		r, err := rc.Status(context.Background())
		if err != nil || r.Inbox.Messages < int64(n) {
			return false
		}
		s, err := sc.Status(context.Background())
		return err == nil && s.Outbox.Copies[agency.CopyDelivered] >= int64(n)
	})
}

// checkExactlyOnce checks that the receiver's inbox holds each message id
// sent once and nothing else, that the sender holds a delivered receipt
// for each, and, with the processes stopped, that both audit logs verify.
func (pn *procNet) checkExactlyOnce(ids []string) {
	t := pn.t
	t.Helper()
	ctx := context.Background()
	sent := map[string]bool{}
	for _, id := range ids {
		if sent[id] {
			t.Fatalf("the sender gave id %s twice", id)
		}
		sent[id] = true
	}
	in, err := pn.client(procReceiver).Inbox(ctx, agency.InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	seen := checkInboxOnce(t, in, sent)
	if len(in) != len(ids) || len(seen) != len(ids) {
		t.Errorf("the inbox holds %d messages (%d distinct), want %d", len(in), len(seen), len(ids))
	}
	out, err := pn.client(procSender).Outbox(ctx, agency.OutboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(ids) {
		t.Errorf("the outbox holds %d messages, want %d", len(out), len(ids))
	}
	for _, m := range out {
		if c := m.Copies[procReceiver]; c == nil || c.State != agency.CopyDelivered {
			t.Errorf("message %s: copy %+v, want delivered", m.ID, c)
		}
	}
	for _, a := range []string{procReceiver, procSender} {
		st, err := pn.client(a).Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rejected != 0 || st.PendingReceipts != 0 {
			t.Errorf("%s: %d rejected inputs, %d copies pending, want none", a, st.Rejected, st.PendingReceipts)
		}
	}
	pn.stop(procReceiver)
	pn.stop(procSender)
	pn.stop(procHub)
	for _, a := range []string{procReceiver, procSender} {
		pn.verifyAudit(a)
	}
	// Every message in the inbox and the outbox has its audit record, even
	// where a kill came between the store's commit and the audit log's
	// (the node completes the log from its intents when it starts again),
	// and a sent message has exactly one.
	received := procRecords(t, filepath.Join(pn.ln.AgencyDir(procReceiver), auditlog.FileName), auditlog.TypeReceived)
	sentRecs := procRecords(t, filepath.Join(pn.ln.AgencyDir(procSender), auditlog.FileName), auditlog.TypeSent)
	dups := 0
	for _, id := range ids {
		if received[id] == 0 {
			t.Errorf("%s's audit log has no received record of message %s", procReceiver, id)
		}
		dups += max(received[id]-1, 0)
		if sentRecs[id] != 1 {
			t.Errorf("%s's audit log has %d sent records of message %s, want 1", procSender, sentRecs[id], id)
		}
	}
	t.Logf("%s's audit log: %d received records for %d messages", procReceiver, len(ids)+dups, len(ids))
	if len(received) != len(ids) || len(sentRecs) != len(ids) {
		t.Errorf("audit logs: %d messages received, %d sent, want %d each", len(received), len(sentRecs), len(ids))
	}
}

// procRecords counts an audit log's records of type typ by message id.
func procRecords(t *testing.T, path string, typ auditlog.Type) map[string]int {
	t.Helper()
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string]int{}
	err = r.Iterate(0, func(rec *auditlog.Record, _ []byte) error {
		if rec.Type == typ {
			out[rec.MessageID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
