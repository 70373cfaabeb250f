package agency_test

import (
	"context"
	"errors"

	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// onTmpfs moves agency's node directory, before its node starts, onto a
// tmpfs of size bytes of its own, and returns the new directory. The tmpfs
// is unmounted once the node has stopped. It skips the test unless it runs
// as root.
func (w *testNetwork) onTmpfs(agency string, size string) string {
	w.t.Helper()
	if os.Geteuid() != 0 {
		w.t.Skip("filling a disk needs a tmpfs of its own, which only root can mount: run the tests as root (CI does)")
	}
	dir := filepath.Join(w.t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		w.t.Fatalf("mount a tmpfs: %v", err)
	}
	w.t.Cleanup(func() {
		w.stopNode(agency)
		if err := syscall.Unmount(dir, 0); err != nil {
			w.t.Errorf("unmount %s: %v", dir, err)
		}
	})
	tn := w.nodes[agency]
	if out, err := exec.Command("cp", "-a", tn.dir+"/.", dir).CombinedOutput(); err != nil {
		w.t.Fatalf("copy the node directory: %v: %s", err, out)
	}
	tn.dir = dir
	return dir
}

// fill writes a file in dir until the disk is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4096, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill the disk: %v", err)
				}
				break
			}
		}
	}
	return path
}

// TestFullDiskHoldsInputAndResumes fills the receiving node's disk (a
// tmpfs of its own) while messages stream to it, then frees it. While the
// disk is full the node acknowledges nothing it has not recorded, says so
// in its status, and retries on its own; once space returns it resumes
// without a restart: every message is in its inbox exactly once, with
// exactly one received record, and its audit log verifies.
func TestFullDiskHoldsInputAndResumes(t *testing.T) {
	w := newNetwork(t, netOptions{Idle: []string{"gh-ag"}}, "sn-pj-dakar")
	dir := w.onTmpfs("gh-ag", "24m")
	b := w.start("gh-ag")
	w.waitReady("gh-ag", 3)
	a := w.node("sn-pj-dakar")

	var ids []string
	for range 30 {
		ids = append(ids, send(t, a, protocol.TypeLead, "", "gh-ag"))
	}
	poll.Until(t, 20*time.Second, "the first messages", func() bool { return len(inboxIDs(t, b)) >= 10 })

	filler := fill(t, dir)
	for range 70 {
		ids = append(ids, send(t, a, protocol.TypeLead, "", "gh-ag"))
	}
	poll.Until(t, 30*time.Second, "the node to raise its alarm", func() bool {
		s, err := b.Status(context.Background())
		return err == nil && s.WriteAlarm != nil
	})
	s, err := b.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.WriteAlarm.Error, "no space") || s.WriteAlarm.Since.IsZero() {
		t.Errorf("alarm %+v, want one that says the disk is full, and since when", s.WriteAlarm)
	}
	if len(inboxIDs(t, b)) == len(ids) {
		t.Fatal("every message arrived before the disk was full: the test proves nothing")
	}
	if _, err := b.Send(context.Background(), actor, agency.SendRequest{To: []string{"sn-pj-dakar"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)}); !errors.Is(err, agency.ErrNotReady) || !strings.Contains(err.Error(), "disk is full") {
		t.Errorf("send while the disk is full: %v, want a refusal that says the disk is full", err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 60*time.Second, "every message once space returned", func() bool { return len(inboxIDs(t, b)) == len(ids) })
	poll.Until(t, 20*time.Second, "the alarm to clear", func() bool {
		s, err := b.Status(context.Background())
		return err == nil && s.WriteAlarm == nil && s.Audit.Failed == ""
	})
	if w.node("gh-ag") != b {
		t.Fatal("the node was restarted")
	}
	got := inboxIDs(t, b)
	slices.Sort(got)
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("inbox holds %d messages, want the %d sent, each once", len(got), len(want))
	}
	received := map[string]int{}
	for _, r := range w.audit("gh-ag") {
		if r.Type == auditlog.TypeReceived {
			received[r.MessageID]++
		}
	}
	for _, id := range ids {
		if received[id] != 1 {
			t.Errorf("message %s has %d received records, want 1", id, received[id])
		}
	}
	if len(received) != len(ids) {
		t.Errorf("%d messages received in the audit log, want %d", len(received), len(ids))
	}
	for _, id := range ids {
		waitState(t, a, id, agency.CopyDelivered, "gh-ag")
	}
	w.verifyLog("gh-ag")
}
