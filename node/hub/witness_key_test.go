package hub

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

func TestWitnessKeyIsMadeAtInitAndListedInTheRoster(t *testing.T) {
	n := newTestNet(t)
	fi, err := os.Stat(filepath.Join(n.dir, WitnessKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("witness.key: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	vkey, err := WitnessKey(n.dir, testNetwork)
	if err != nil {
		t.Fatal(err)
	}
	if w := n.hub.Roster().Roster.Witnesses; len(w) != 1 || w[0] != vkey {
		t.Fatalf("roster witnesses %v, want [%s]", w, vkey)
	}
	if name, _, err := protocol.ParseWitnessKey(vkey); err != nil || name != "casenode/wacap/witness/hub" {
		t.Fatalf("witness key %q: %v", name, err)
	}
}

// TestAHubOfBeforeWitnessesGetsItsKey: a hub directory without
// witness.key (initialised before witnesses existed) gets one at start,
// says the roster does not list it, and the next roster lists it in place
// of any other key of the hub's witness name.
func TestAHubOfBeforeWitnessesGetsItsKey(t *testing.T) {
	n := newTestNet(t)
	old, err := WitnessKey(n.dir, testNetwork)
	if err != nil {
		t.Fatal(err)
	}
	n.hub.Close()
	if err := os.Remove(filepath.Join(n.dir, WitnessKeyFile)); err != nil {
		t.Fatal(err)
	}
	n.start(t)
	n.waitLog(t, "made the hub's witness key: the roster does not name it yet")
	made, err := WitnessKey(n.dir, testNetwork)
	if err != nil || made == old {
		t.Fatalf("the key made at start: %q (%v), want a new one", made, err)
	}
	s, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := s.Renew(time.Now())
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if w := sr.Roster.Witnesses; len(w) != 1 || w[0] != made {
		t.Fatalf("renewed roster witnesses %v, want [%s]", w, made)
	}
}

func TestAReadableWitnessKeyIsRefused(t *testing.T) {
	n := newTestNet(t)
	n.hub.Close()
	if err := os.Chmod(filepath.Join(n.dir, WitnessKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctxT(t), n.dir, Options{}); err == nil || !containsAll(err.Error(), []string{"witness key", "readable by others"}) {
		t.Fatalf("open with a readable witness key: %v", err)
	}
}

// TestWitnessBucketsWithoutDirectGets: the witness's buckets answer reads
// only through the JetStream API (bucketStream), and the admin reads them
// so.
func TestWitnessBucketsWithoutDirectGets(t *testing.T) {
	n := newTestNet(t)
	for _, b := range []string{protocol.WitnessBucket(testNetwork), protocol.WitnessAlarmBucket(testNetwork)} {
		st, err := n.hub.js.Stream(ctxT(t), "KV_"+b)
		if err != nil {
			t.Fatal(err)
		}
		if st.CachedInfo().Config.AllowDirect {
			t.Errorf("bucket %s allows direct gets", b)
		}
	}
	nc, _, err := ConnectAdminDir(n.dir, n.hub.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if cp, err := FetchWitnessCheckpoint(ctxT(t), nc, testNetwork, "gh-ag"); err != nil || cp != nil {
		t.Fatalf("admin read of a checkpoint never cosigned: %q, %v", cp, err)
	}
	if alarms, err := FetchWitnessAlarms(ctxT(t), nc, testNetwork); err != nil || len(alarms) != 0 {
		t.Fatalf("admin read of the alarms: %v, %v", alarms, err)
	}
}
