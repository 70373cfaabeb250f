package hub

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/node/backup"
)

// TestHubBackupRestore: a running hub refuses to be backed up (its store
// would not be consistent); stopped, its archive restores into a new
// directory whose hub serves the same roster and still holds every message
// that waited in the stream, ready for its recipient.
func TestHubBackupRestore(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj")
	c := n.connect(t, "sn-pj")
	if _, err := publishBurst(c, "sn-pj", "gh-ag", 0, 7); err != nil {
		t.Fatal(err)
	}
	c.nc.Close()
	if got := streamMsgs(t, n); got != 7 {
		t.Fatalf("stream holds %d", got)
	}
	var re *RunningError
	if _, err := BackupStopped(&bytes.Buffer{}, n.dir, time.Now()); !errors.As(err, &re) {
		t.Fatalf("backup of a running hub: %v", err)
	}
	serial := n.hub.Roster().Roster.Serial
	n.hub.Close()

	var archive bytes.Buffer
	m, err := BackupStopped(&archive, n.dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if f.Path == lockFile || f.Path == runLockFile {
			t.Errorf("the archive holds %s", f.Path)
		}
	}
	restored := filepath.Join(t.TempDir(), "hub")
	if _, err := backup.Restore(bytes.NewReader(archive.Bytes()), restored); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(restored, "secretariat")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("secretariat directory restored: %v, %v", fi, err)
	}
	n.dir = restored
	n.start(t)
	if got := n.hub.Roster().Roster.Serial; got != serial {
		t.Errorf("restored hub serves roster %d, want %d", got, serial)
	}
	if got := streamMsgs(t, n); got != 7 {
		t.Errorf("restored stream holds %d messages, want 7", got)
	}
	gh := n.connect(t, "gh-ag")
	if got := len(fetchInbox(t, gh, "gh-ag", 7)); got != 7 {
		t.Errorf("gh-ag fetched %d", got)
	}
}
