package hub

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// TestWitnessResetAfterARestartOfTheLog: an agency restarted its audit log;
// the witness refuses the new log as a rollback and raises the alarm; an
// order signed by a member's key in the hub directory is refused and
// recorded; the secretariat's order clears the state and the alarm, is in
// the hub's audit log and in the resets the admin reads, and the new log's
// next checkpoint is cosigned as a new history.
func TestWitnessResetAfterARestartOfTheLog(t *testing.T) {
	const agency = "gh-ag"
	n := newTestNet(t, agency)
	key := n.ids[agency].Signing
	origin := protocol.LogOrigin(testNetwork, agency)
	old, restarted := newTestTree(t, "old log", 7), newTestTree(t, "new log", 12)
	c := n.connect(t, agency)
	cp7 := signCheckpoint(t, origin, 7, old.root(t, 7), key)
	n.wantCosigned(t, askWitness(t, c, agency, &witness.Request{Checkpoint: cp7}), cp7)
	state, err := n.hub.WitnessCheckpoint(ctxT(t), agency)
	if err != nil {
		t.Fatal(err)
	}

	// The new log, smaller than the old one: a rollback, refused.
	new2 := signCheckpoint(t, origin, 2, restarted.root(t, 2), key)
	if a := askWitness(t, c, agency, &witness.Request{Old: 0, Checkpoint: new2}); a.status != witness.StatusConflict || a.body != "7\n" {
		t.Fatalf("new log before the reset: %+v, want 409 with size 7", a)
	}
	if a := askWitness(t, c, agency, &witness.Request{Old: 7, Checkpoint: new2}); a.status != witness.StatusBadRequest {
		t.Fatalf("new log before the reset: %+v, want 400", a)
	}
	alarms, err := n.hub.Alarms(ctxT(t), time.Now())
	if err != nil || !hasAlarm(alarms, AlarmWitnessFork, agency, witness.EvidenceRollback) {
		t.Fatalf("hub alarms %+v (%v), want a rollback of %s", alarms, err, agency)
	}

	// A member cannot reset: an order signed by its own key, left in the
	// hub directory, is refused, renamed and recorded.
	forged, err := SignWitnessReset(key, &protocol.WitnessReset{Network: testNetwork, Agency: agency, Reason: "trust me", Actor: "cli:mallory", Issued: protocol.NewTime(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(n.dir, WitnessResetDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	forgedPath := filepath.Join(dir, agency+"-forged.jws")
	if err := os.WriteFile(forgedPath, forged, 0o600); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the forged order refused", func() bool {
		_, err := os.Stat(forgedPath + ".refused")
		return err == nil
	})
	if s, err := n.hub.WitnessCheckpoint(ctxT(t), agency); err != nil || !bytes.Equal(s, state) {
		t.Fatalf("after a forged order the state is %q (%v), want the old one", s, err)
	}
	acts, err := n.hub.RecentActions(5)
	if err != nil || len(acts) == 0 || acts[0].Action.Action != "witness-reset.refused" || !strings.Contains(acts[0].Error, "not by the secretariat's key") {
		t.Fatalf("hub log %+v (%v), want the refused order first", acts, err)
	}

	// The secretariat's order, signed by the CLI's path.
	id := orderReset(t, n, agency, "disk lost; the agency restarted its audit log")
	if s, err := n.hub.WitnessCheckpoint(ctxT(t), agency); err != nil || s != nil {
		t.Fatalf("after the reset the state is %q (%v), want none", s, err)
	}
	alarms, err = n.hub.Alarms(ctxT(t), time.Now())
	if err != nil || hasAlarm(alarms, AlarmWitnessFork, agency, witness.EvidenceRollback) {
		t.Fatalf("hub alarms after the reset %+v (%v), want no witness alarm", alarms, err)
	}
	acts, err = n.hub.RecentActions(5)
	if err != nil || len(acts) == 0 {
		t.Fatal(err)
	}
	if a := acts[0]; a.Action.Action != "witness-reset" || a.Actor != "cli:fatou" || a.Agency != agency || a.OldSize != 7 ||
		a.OldRoot != old.root(t, 7).String() || a.Order != id || !strings.Contains(a.Reason, "disk lost") {
		t.Fatalf("hub log %+v, want the reset with its old size, root and reason", a)
	}

	// The new log's checkpoints are cosigned from nothing, and then from
	// the new size on.
	n.wantCosigned(t, askWitness(t, c, agency, &witness.Request{Old: 0, Checkpoint: new2}), new2)
	new12 := signCheckpoint(t, origin, 12, restarted.root(t, 12), key)
	n.wantCosigned(t, askWitness(t, c, agency, &witness.Request{Old: 2, Proof: restarted.proof(t, 12, 2), Checkpoint: new12}), new12)

	// The admin (export, the auditor) reads the reset with the order,
	// which the secretariat's key verifies, and the forgotten checkpoint.
	nc, _, err := ConnectAdminDir(n.dir, n.hub.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	resets, err := FetchWitnessResets(ctxT(t), nc, testNetwork, agency)
	if err != nil || len(resets) != 1 {
		t.Fatalf("resets %+v (%v), want one", resets, err)
	}
	ev := resets[0]
	if ev.ID != id || ev.OldSize != 7 || ev.OldCheckpoint != string(state) || ev.Actor != "cli:fatou" ||
		len(ev.Cleared) != 1 || ev.Cleared[0] != witness.EvidenceRollback || ev.LogSeq != acts[0].Seq {
		t.Fatalf("reset %+v, want order %s, old size 7 with its cosigned checkpoint, the rollback cleared, hub log record %d", ev, id, acts[0].Seq)
	}
	if o, _, err := verifyWitnessReset([]byte(ev.Order), n.hub.Roster().Roster); err != nil || o.Reason != ev.Reason {
		t.Fatalf("the exported order does not verify: %+v %v", o, err)
	}
	if got, err := FetchWitnessAlarms(ctxT(t), nc, testNetwork); err != nil || len(got) != 0 {
		t.Fatalf("admin alarms after the reset %+v (%v), want none", got, err)
	}

	// From the console, with the passphrase given for it: the same.
	ev2, err := n.hub.ResetWitness(ctxT(t), "console:amina", agency, "drill", nil, time.Now())
	if err != nil || ev2.OldSize != 12 || ev2.Actor != "console:amina" {
		t.Fatalf("console reset %+v (%v), want old size 12", ev2, err)
	}
	if rs, err := n.hub.WitnessResets(ctxT(t), agency); err != nil || len(rs) != 2 {
		t.Fatalf("resets %d (%v), want 2", len(rs), err)
	}
	// An unknown agency is refused, and the refusal recorded.
	if _, err := n.hub.ResetWitness(ctxT(t), "console:amina", "zz-nobody", "typo", nil, time.Now()); err == nil {
		t.Fatal("a reset of an agency outside the roster was accepted")
	}
	if acts, err := n.hub.RecentActions(1); err != nil || acts[0].Action.Action != "witness-reset.failed" {
		t.Fatalf("hub log %+v (%v), want the failed reset", acts, err)
	}
}

func hasAlarm(alarms []Alarm, kind, agency, detail string) bool {
	for _, a := range alarms {
		if a.Kind == kind && a.Agency == agency && a.Detail == detail {
			return true
		}
	}
	return false
}

// createFailsOnce is the real reset bucket, whose first Create fails as a
// full disk or a lost JetStream leader would.
type createFailsOnce struct {
	jetstream.KeyValue
	failed atomic.Bool
}

func (kv *createFailsOnce) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	if kv.failed.CompareAndSwap(false, true) {
		return 0, errors.New("injected: the bucket is unavailable")
	}
	return kv.KeyValue.Create(ctx, key, value, opts...)
}

// TestWitnessResetRetryRecordedOnce: an order whose application failed
// after the hub recorded it (the reset bucket unavailable) is applied
// again at the next poll, and the hub's audit log holds one record of it,
// the one the reset event names.
func TestWitnessResetRetryRecordedOnce(t *testing.T) {
	const agency = "gh-ag"
	n := newTestNet(t, agency)
	key := n.ids[agency].Signing
	origin := protocol.LogOrigin(testNetwork, agency)
	c := n.connect(t, agency)
	cp7 := signCheckpoint(t, origin, 7, newTestTree(t, "old log", 7).root(t, 7), key)
	n.wantCosigned(t, askWitness(t, c, agency, &witness.Request{Checkpoint: cp7}), cp7)

	w := n.hub.witness
	w.mu.Lock()
	w.resets = &createFailsOnce{KeyValue: w.resets}
	w.mu.Unlock()
	id := orderReset(t, n, agency, "disk lost")
	if !w.resets.(*createFailsOnce).failed.Load() {
		t.Fatal("the injected failure did not happen")
	}
	acts, err := n.hub.RecentActions(20)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, a := range acts {
		if a.Action.Action == "witness-reset" && a.Order == id {
			seqs = append(seqs, a.Seq)
		}
	}
	rs, err := n.hub.WitnessResets(ctxT(t), agency)
	if err != nil || len(rs) != 1 {
		t.Fatalf("resets %+v (%v), want one", rs, err)
	}
	if len(seqs) != 1 || rs[0].LogSeq != seqs[0] {
		t.Fatalf("the hub's audit log holds the reset %s at %v, want once, at the event's record %d", id, seqs, rs[0].LogSeq)
	}
	if st, err := n.hub.WitnessCheckpoint(ctxT(t), agency); err != nil || st != nil {
		t.Fatalf("after the reset the state is %q (%v), want none", st, err)
	}
}

// orderReset has the secretariat order, as the CLI does, the reset of the
// witness's state of agency, waits until the hub has applied the order
// and returns its id.
func orderReset(t *testing.T, n *testNet, agency, reason string) string {
	t.Helper()
	s, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, path, err := s.OrderWitnessReset(agency, reason, "cli:fatou", time.Now())
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the order applied", func() bool {
		_, err := os.Stat(path)
		return errors.Is(err, os.ErrNotExist)
	})
	return id
}
