package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
)

// testHubOnlineBackup: 'casenode hub backup' of the running hub process
// while a node keeps sending to a stopped one; the hub is stopped, its
// directory replaced by 'casenode hub restore' of the archive, and
// started: the receiver then gets every message that waited at the hub
// when the backup began, once each, and none the archive could not hold.
func testHubOnlineBackup(t *testing.T, exe string) {
	pn := startProcNet(t, exe)
	pn.stop(procReceiver)
	sc := pn.client(procSender)
	s := procSend(sc, procReceiver, procMessages)
	relayed := func() map[string]bool {
		out, err := sc.Outbox(context.Background(), agency.OutboxQuery{})
		if err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for _, m := range out {
			if c := m.Copies[procReceiver]; c != nil && c.State == agency.CopyRelayed {
				set[m.ID] = true
			}
		}
		return set
	}
	poll.Until(t, 2*time.Minute, "a third of the stream at the hub", func() bool { return len(relayed()) >= procMessages/3 })
	pending := relayed()
	archive := filepath.Join(t.TempDir(), "hub.backup")
	out, err := exec.Command(exe, "hub", "backup", "--dir", pn.ln.HubDir(), "--out", archive).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "from the running hub") {
		t.Fatalf("hub backup: %v\n%s", err, out)
	}
	// The sender's API has taken no more than this when the backup ended:
	// the hub cannot have stored more before.
	atEnd := s.sent()
	t.Logf("backup of the running hub with %d messages waiting when it began, %d sent when it ended: %s", len(pending), atEnd, strings.TrimSpace(string(out)))
	ids := s.wait(t)
	poll.Until(t, 2*time.Minute, "every copy relayed to the hub", func() bool { return len(relayed()) == len(ids) })

	pn.stop(procHub)
	if err := os.Rename(pn.ln.HubDir(), pn.ln.HubDir()+".lost"); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(exe, "hub", "restore", "--in", archive, "--dir", pn.ln.HubDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("hub restore: %v\n%s", err, out)
	}
	pn.startHub()
	pn.startNode(procReceiver)
	pn.waitOnline(procReceiver)
	rc := pn.client(procReceiver)
	poll.Until(t, 2*time.Minute, "the messages waiting at backup time in the receiver's inbox", func() bool {
		in, err := rc.Inbox(context.Background(), agency.InboxQuery{})
		if err != nil {
			return false
		}
		got := map[string]bool{}
		for _, m := range in {
			got[m.ID] = true
		}
		for id := range pending {
			if !got[id] {
				return false
			}
		}
		return true
	})
	sent := map[string]bool{}
	for _, id := range ids {
		sent[id] = true
	}
	in, err := rc.Inbox(context.Background(), agency.InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	checkInboxOnce(t, in, sent)
	if len(in) > atEnd {
		t.Errorf("the receiver got %d messages from the restored hub, more than the %d sent when the backup ended", len(in), atEnd)
	}
	t.Logf("the receiver got %d messages from the restored hub: the %d waiting when the backup began and %d stored while it ran; %d stored after it are not in the archive",
		len(in), len(pending), len(in)-len(pending), len(ids)-len(in))
}

// checkInboxOnce checks that an inbox holds each message once and only
// messages sent, and returns the ids it holds.
func checkInboxOnce(t *testing.T, in []*agency.MessageSummary, sent map[string]bool) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range in {
		switch {
		case seen[m.ID]:
			t.Errorf("message %s is twice in the inbox", m.ID)
		case !sent[m.ID]:
			t.Errorf("message %s in the inbox was never sent", m.ID)
		}
		seen[m.ID] = true
	}
	return seen
}
