package agency_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/backup"
	"github.com/casenode/casenode/protocol"
)

// TestBackupMidStreamRestores takes a backup of a receiving node while
// messages stream in, stops it, restores the backup into a new directory
// and runs the node from there: it holds every message the backup held,
// gets no second copy of any (the hub keeps no copy the node acknowledged),
// receives what is sent afterwards, and its audit log verifies. What the
// node acknowledged after the backup is not in it: that is the limit
// docs/OPERATOR.md states.
func TestBackupMidStreamRestores(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	dakar := w.node("sn-pj-dakar")
	const total = 30
	sent := make(chan string, total)
	go func() {
		defer close(sent)
		for i := range total {
			res, err := dakar.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Case: "c-1", Body: protocol.Example(protocol.TypeLead)})
			if err != nil {
				t.Errorf("send %d: %v", i, err)
				return
			}
			sent <- res.ID
		}
	}()
	gh := w.node("gh-ag")
	poll.Until(t, 60*time.Second, "a third of the stream in the inbox", func() bool { return len(inboxIDs(t, gh)) >= total/3 })
	var archive bytes.Buffer
	m, err := gh.Backup(&archive)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id := range sent {
		ids = append(ids, id)
	}
	if len(ids) != total {
		t.Fatalf("%d of %d sent", len(ids), total)
	}
	for _, id := range ids {
		waitState(t, dakar, id, agency.CopyDelivered, "gh-ag")
	}
	w.stopNode("gh-ag")

	restored := filepath.Join(t.TempDir(), "gh-ag")
	if _, err := backup.Restore(bytes.NewReader(archive.Bytes()), restored); err != nil {
		t.Fatal(err)
	}
	if len(m.Files) < 6 || m.Files[len(m.Files)-1].Path != "audit.db" || !m.Files[len(m.Files)-1].Snapshot {
		t.Errorf("manifest %+v", m.Files)
	}
	w.nodes["gh-ag"].dir = restored
	// Offline first: what the backup held.
	n, err := agency.Open(context.Background(), restored, w.nodeOptions("gh-ag"))
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	ms, err := n.Inbox(context.Background(), agency.InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		held[m.ID] = true
	}
	n.Close()
	if len(held) < total/3 || len(held) > total {
		t.Fatalf("the backup holds %d messages, want between %d and %d", len(held), total/3, total)
	}

	w.start("gh-ag")
	w.waitReady("gh-ag", 3)
	after := send(t, dakar, protocol.TypeLead, "c-2", "gh-ag")
	waitState(t, dakar, after, agency.CopyDelivered, "gh-ag")
	got := inboxIDs(t, w.node("gh-ag"))
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for id, k := range seen {
		if k > 1 {
			t.Errorf("message %s is %d times in the restored inbox", id, k)
		}
	}
	for id := range held {
		if seen[id] != 1 {
			t.Errorf("message %s, held by the backup, is missing after the restart", id)
		}
	}
	if seen[after] != 1 {
		t.Errorf("the message sent after the restore did not arrive")
	}
	if len(seen) != len(held)+1 {
		t.Errorf("restored inbox holds %d messages, want the backup's %d and the new one", len(seen), len(held))
	}
	t.Logf("backup held %d of %d messages; %d acknowledged after it are not in it", len(held), total, total-len(held))
	w.verifyLog("gh-ag")
}
