package agency_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// witnessNet is a network whose nodes checkpoint every record and look for
// new checkpoints to have cosigned every 20 ms.
func witnessNet(t *testing.T, agencies ...string) *testNetwork {
	return newNetwork(t, netOptions{
		Node:   func(o *agency.Options) { o.WitnessInterval = 20 * time.Millisecond },
		Config: func(c *config.Node) { c.CheckpointEvery = 1 },
	}, agencies...)
}

// waitCosigned waits until agency's newest checkpoint is cosigned and
// returns its size.
func waitCosigned(t *testing.T, w *testNetwork, name string) int64 {
	t.Helper()
	n := w.node(name)
	var size int64
	poll.Until(t, 30*time.Second, name+"'s newest checkpoint cosigned", func() bool {
		s, err := n.Status(context.Background())
		if err != nil || s.Audit.Checkpoint == nil {
			return false
		}
		size = s.Audit.Checkpoint.Size
		return n.Witness().Cosigned == size
	})
	return size
}

// verifySnapshot verifies a snapshot of agency's audit log.
func verifySnapshot(t *testing.T, w *testNetwork, name string) *auditlog.Report {
	t.Helper()
	return verifySnapshotWith(t, w, name, auditlog.VerifyOptions{})
}

// verifySnapshotWith verifies a snapshot of agency's audit log with o.
func verifySnapshotWith(t *testing.T, w *testNetwork, name string, o auditlog.VerifyOptions) *auditlog.Report {
	t.Helper()
	r := snapshotReader(t, w, name)
	rep, err := r.Verify(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestWitnessCosignsTheNodesCheckpointsAndCatchesUpAfterAnOutage(t *testing.T) {
	w := witnessNet(t, "sn-pj", "gh-ag")
	n := w.node("sn-pj")
	first := waitCosigned(t, w, "sn-pj")
	send(t, n, protocol.TypeLead, "", "gh-ag")
	second := waitCosigned(t, w, "sn-pj")
	if second <= first {
		t.Fatalf("cosigned %d then %d: the new checkpoint was not cosigned", first, second)
	}
	stored, err := w.hub.WitnessCheckpoint(context.Background(), "sn-pj")
	if err != nil || stored == nil {
		t.Fatalf("the hub's state: %v", err)
	}
	rep := verifySnapshot(t, w, "sn-pj")
	// The hub's key, and the peer witness keys of the other two members
	// (gh-ag and the secretariat).
	if rep.NewestCosigned < second || rep.WitnessKeys != 3 {
		t.Fatalf("verify: newest cosigned %d with %d witness keys, want %d with 3", rep.NewestCosigned, rep.WitnessKeys, second)
	}
	last := rep.Cosigned[len(rep.Cosigned)-1]
	if len(last.Witnesses) != 1 || last.Witnesses[0] != protocol.HubWitnessName(w.network) {
		t.Fatalf("cosigned by %v, want the hub's witness", last.Witnesses)
	}

	// While the hub is down the node goes on checkpointing; back online,
	// it has its newest checkpoint cosigned, with a proof from the size the
	// witness kept across its restart.
	w.stopHub()
	send(t, n, protocol.TypeLead, "", "gh-ag")
	poll.Until(t, 20*time.Second, "a checkpoint while offline", func() bool {
		s, err := n.Status(context.Background())
		return err == nil && s.Audit.Checkpoint != nil && s.Audit.Checkpoint.Size > second
	})
	w.restartHub()
	third := waitCosigned(t, w, "sn-pj")
	if third <= second {
		t.Fatalf("after the outage: cosigned %d, want more than %d", third, second)
	}
	if alarms, err := w.hub.WitnessAlarms(context.Background()); err != nil || len(alarms) != 0 {
		t.Fatalf("hub alarms %+v (%v), want none", alarms, err)
	}
}

func TestWitnessCatchesALogRolledBack(t *testing.T) {
	w := witnessNet(t, "sn-pj", "gh-ag")
	n := w.node("sn-pj")
	waitCosigned(t, w, "sn-pj")
	// A copy of the log now, put back later.
	var old bytes.Buffer
	if _, err := n.AuditSnapshot(&old); err != nil {
		t.Fatal(err)
	}
	send(t, n, protocol.TypeLead, "", "gh-ag")
	send(t, n, protocol.TypeLead, "", "gh-ag")
	cosigned := waitCosigned(t, w, "sn-pj")
	w.stopNode("sn-pj")
	if err := os.WriteFile(filepath.Join(w.nodes["sn-pj"].dir, auditlog.FileName), old.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	n = w.start("sn-pj")
	poll.Until(t, 30*time.Second, "the node's witness alarm", func() bool {
		alarms, err := n.Alarms(context.Background())
		if err != nil {
			return false
		}
		for _, a := range alarms {
			if a.Kind == agency.AlarmWitness && strings.Contains(a.Text, "rolled back or replaced") {
				return true
			}
		}
		return false
	})
	poll.Until(t, 30*time.Second, "the hub's rollback alarm", func() bool {
		alarms, err := w.hub.WitnessAlarms(context.Background())
		return err == nil && len(alarms) > 0 && alarms[0].Kind == "rollback" && alarms[0].Agency == "sn-pj"
	})
	if got, err := w.hub.WitnessCheckpoint(context.Background(), "sn-pj"); err != nil || !bytes.Contains(got, []byte("\n"+itoa(cosigned)+"\n")) {
		t.Fatalf("the witness's state moved: %q (%v)", got, err)
	}

	// The secretariat resets the witness's state of the agency: the
	// running node, which learnt a witness size beyond its log, asks
	// again from what its log holds and is cosigned, without a restart.
	if _, err := w.hub.ResetWitness(context.Background(), "console:test", "sn-pj", "audit.db restored from an older copy", nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitCosigned(t, w, "sn-pj")
	if alarms, err := w.hub.WitnessAlarms(context.Background()); err != nil || len(alarms) != 0 {
		t.Fatalf("hub alarms after the reset %+v (%v), want none", alarms, err)
	}
	// The node learns of the signed reset with that cosignature: its
	// witness alarm clears at once, without a restart, and its audit log
	// records the order.
	poll.Until(t, 30*time.Second, "the node's witness alarm cleared", func() bool {
		alarms, err := n.Alarms(context.Background())
		if err != nil {
			return false
		}
		for _, a := range alarms {
			if a.Kind == agency.AlarmWitness && a.Open() {
				return false
			}
		}
		return true
	})
	if got := witnessResetRecords(t, w, "sn-pj"); len(got) != 1 || !strings.Contains(got[0], "audit.db restored from an older copy") || !strings.Contains(got[0], "console:test") {
		t.Fatalf("the node's audit log holds %q, want one record of the secretariat's reset", got)
	}
}

// snapshotReader opens a snapshot of agency's audit log, closed when the
// test ends.
func snapshotReader(t *testing.T, w *testNetwork, name string) *auditlog.Reader {
	t.Helper()
	var buf bytes.Buffer
	if _, err := w.node(name).AuditSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// witnessResetRecords returns the details of the witness-reset records of
// agency's audit log.
func witnessResetRecords(t *testing.T, w *testNetwork, name string) []string {
	t.Helper()
	var out []string
	err := snapshotReader(t, w, name).Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		if ev := auditlog.Describe(rec, payload); ev.Access != nil && ev.Access.Action == "witness-reset" {
			out = append(out, ev.Access.Detail)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
