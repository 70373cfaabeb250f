package hub

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/backup"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// archiveEntries reads an archive's entries by name.
func archiveEntries(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		d, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = d
	}
}

// sender publishes messages from one agency to another, one at a time,
// until stopped, and counts those the hub acknowledged.
type sender struct {
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	acked int
	err   error
}

func startSender(c *agencyConn, from, to string, first int) *sender {
	s := &sender{stop: make(chan struct{}), done: make(chan struct{})}
	in := protocol.IngestSubject(testNetwork, from, to, protocol.TypeLead)
	go func() {
		defer close(s.done)
		for i := first; ; i++ {
			select {
			case <-s.stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := c.js.Publish(ctx, in, senderBody(i), jetstream.WithMsgID(testID(fmt.Sprintf("msg-%d", i), to)))
			cancel()
			s.mu.Lock()
			if err != nil {
				s.err = fmt.Errorf("publish %d: %w", i, err)
				s.mu.Unlock()
				return
			}
			s.acked++
			s.mu.Unlock()
		}
	}()
	return s
}

// senderBody is the sender's i-th message: 16 KiB that do not compress
// (as sealed bodies do not), so that the stream's snapshot takes many
// chunks and the flow control that paces them.
func senderBody(i int) []byte {
	pad := make([]byte, 16<<10)
	rand.NewChaCha8([32]byte{byte(i), byte(i >> 8)}).Read(pad)
	return append(fmt.Appendf(nil, "msg %d|", i), pad...)
}

func (s *sender) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

func (s *sender) halt(t *testing.T) int {
	t.Helper()
	close(s.stop)
	<-s.done
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.acked
}

// TestOnlineBackupWhileSending: the running hub writes a backup through
// its control socket while a sender keeps sending; restored into a new
// directory and started, the hub holds every message stored before the
// backup began, none stored after the stream's snapshot, and the
// recipient's inbox as it was: it fetches the messages that were pending
// at backup time, not those it had acknowledged.
func TestOnlineBackupWhileSending(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj")
	// The whole test may take minutes on a loaded machine under -race.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sn, gh := n.connect(t, "sn-pj"), n.connect(t, "gh-ag")
	if _, err := publishBurst(sn, "sn-pj", "gh-ag", 0, 20); err != nil {
		t.Fatal(err)
	}
	// The recipient takes and acknowledges the first five.
	for i, m := range fetchInbox(t, gh, "gh-ag", 5) {
		if want := fmt.Sprintf("burst 0-%d", i); string(m.Data()) != want {
			t.Fatalf("fetched %q, want %q", m.Data(), want)
		}
	}
	serial := n.hub.Roster().Roster.Serial

	s := startSender(sn, "sn-pj", "gh-ag", 0)
	poll.Until(t, 30*time.Second, "the sender under way", func() bool { return s.count() >= 40 })
	before := 20 + s.count()
	if fi, err := os.Lstat(filepath.Join(n.dir, ControlSocket)); err != nil || fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v, %v", fi, err)
	}
	var archive bytes.Buffer
	files, err := BackupRunning(ctx, n.dir, &archive)
	if err != nil {
		t.Fatal(err)
	}
	during := s.count()
	// The sender goes on after the backup: those are not in it.
	poll.Until(t, 30*time.Second, "more messages after the backup", func() bool { return s.count() >= during+5 })
	total := 20 + s.halt(t)

	entries := archiveEntries(t, archive.Bytes())
	if len(entries) != files+1 {
		t.Errorf("the archive holds %d entries, the hub said %d files and a manifest", len(entries), files)
	}
	var m backup.Manifest
	if err := json.Unmarshal(entries[backup.ManifestName], &m); err != nil {
		t.Fatal(err)
	}
	modes := map[string]fs.FileMode{}
	for _, f := range m.Files {
		modes[f.Path] = f.Mode
		if strings.HasPrefix(f.Path, "jetstream/") || strings.HasSuffix(f.Path, ".tmp") || f.Path == lockFile || f.Path == runLockFile {
			t.Errorf("the online archive holds %s", f.Path)
		}
	}
	for _, secret := range []string{AdminCredsFile, CredsDir + "/gh-ag.creds", OwnLogFile, SnapshotsDir + "/" + protocol.StreamName(testNetwork) + snapshotDataExt} {
		if mode, ok := modes[secret]; !ok || mode != 0o600 {
			t.Errorf("%s in the archive: %v, mode %v; want 0600", secret, ok, mode)
		}
	}
	var streams []string
	for _, f := range m.Files {
		if name, ok := strings.CutSuffix(strings.TrimPrefix(f.Path, SnapshotsDir+"/"), snapshotMetaExt); ok && strings.HasPrefix(f.Path, SnapshotsDir+"/") {
			streams = append(streams, name)
		}
	}
	for _, want := range []string{protocol.StreamName(testNetwork), "KV_" + protocol.RosterBucket(testNetwork), "KV_" + attachBucket(testNetwork), attachStreamName(testNetwork)} {
		if !slices.Contains(streams, want) {
			t.Errorf("no snapshot of %s in %v", want, streams)
		}
	}
	meta, err := parseStreamMeta(entries[SnapshotsDir+"/"+protocol.StreamName(testNetwork)+snapshotMetaExt])
	if err != nil {
		t.Fatal(err)
	}
	snapState, _ := meta.state()
	held := int(snapState.Msgs)
	if held < before || held > 20+during {
		t.Fatalf("the snapshot holds %d messages: want at least the %d stored before the backup, at most the %d stored when it ended", held, before, 20+during)
	}
	if held >= total {
		t.Fatalf("the snapshot holds %d messages, all %d sent: the test sent none after it", held, total)
	}

	t.Logf("stored before the backup %d, in the snapshot %d, when the backup ended %d, in all %d; snapshot %d bytes", before, held, 20+during, total, len(entries[SnapshotsDir+"/"+protocol.StreamName(testNetwork)+snapshotDataExt]))
	n.hub.Close()
	restored := filepath.Join(t.TempDir(), "hub")
	if _, err := backup.Restore(bytes.NewReader(archive.Bytes()), restored); err != nil {
		t.Fatal(err)
	}
	n.dir = restored
	n.start(t)
	if _, err := os.Stat(filepath.Join(restored, SnapshotsDir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s left after the restore: %v", SnapshotsDir, err)
	}
	if got := n.hub.Roster().Roster.Serial; got != serial {
		t.Errorf("restored hub serves roster %d, want %d", got, serial)
	}
	if got := streamMsgs(t, n); int(got) != held {
		t.Errorf("restored stream holds %d messages, the snapshot %d", got, held)
	}
	// The inbox resumes where the recipient was: the 15 burst messages it
	// had not acknowledged, then the sender's, up to the snapshot.
	gh = n.connect(t, "gh-ag")
	got := fetchInbox(t, gh, "gh-ag", held-5)
	for i, msg := range got {
		want := []byte(fmt.Sprintf("burst 0-%d", i+5))
		if i >= 15 {
			want = senderBody(i - 15)
		}
		if !bytes.Equal(msg.Data(), want) {
			t.Fatalf("message %d after the restore is %.20q, want %.20q", i, msg.Data(), want)
		}
	}
	// The restored hub takes new messages; one the snapshot lacks is
	// stored again, not taken for a duplicate.
	sn = n.connect(t, "sn-pj")
	if _, err := sn.js.Publish(ctx, protocol.IngestSubject(testNetwork, "sn-pj", "gh-ag", protocol.TypeLead), senderBody(held-20),
		jetstream.WithMsgID(testID(fmt.Sprintf("msg-%d", held-20), "gh-ag"))); err != nil {
		t.Fatal(err)
	}
	if next := fetchInbox(t, gh, "gh-ag", 1); !bytes.Equal(next[0].Data(), senderBody(held-20)) {
		t.Errorf("after the restore, fetched %.20q", next[0].Data())
	}
}

// TestRestoreSnapshotsAgain: stream snapshots left in a hub directory
// after their streams were restored (a start stopped before removing
// them) are recognised and removed; snapshots whose stream already holds
// less than they do are refused, and the hub does not start.
func TestRestoreSnapshotsAgain(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj")
	sn := n.connect(t, "sn-pj")
	if _, err := publishBurst(sn, "sn-pj", "gh-ag", 0, 3); err != nil {
		t.Fatal(err)
	}
	var archive bytes.Buffer
	if _, err := BackupRunning(ctxT(t), n.dir, &archive); err != nil {
		t.Fatal(err)
	}
	n.hub.Close()
	restore := func() string {
		dir := filepath.Join(t.TempDir(), "hub")
		if _, err := backup.Restore(bytes.NewReader(archive.Bytes()), dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	// Restored once, then the snapshots are back as if never removed.
	n.dir = restore()
	n.start(t)
	n.hub.Close()
	if err := os.Rename(filepath.Join(restore(), SnapshotsDir), filepath.Join(n.dir, SnapshotsDir)); err != nil {
		t.Fatal(err)
	}
	n.start(t)
	n.waitLog(t, "stream already restored by an earlier start", "stream="+protocol.StreamName(testNetwork))
	if got := streamMsgs(t, n); got != 3 {
		t.Errorf("the stream holds %d messages, want 3", got)
	}
	if _, err := os.Stat(filepath.Join(n.dir, SnapshotsDir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s left: %v", SnapshotsDir, err)
	}
	n.hub.Close()

	// A hub started without the snapshots made its streams empty: the
	// snapshots put back are refused.
	n.dir = restore()
	aside := filepath.Join(t.TempDir(), SnapshotsDir)
	if err := os.Rename(filepath.Join(n.dir, SnapshotsDir), aside); err != nil {
		t.Fatal(err)
	}
	n.start(t)
	n.hub.Close()
	if err := os.Rename(aside, filepath.Join(n.dir, SnapshotsDir)); err != nil {
		t.Fatal(err)
	}
	h, err := Open(context.Background(), n.dir, Options{})
	if h != nil {
		h.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "restore stream "+protocol.StreamName(testNetwork)) || !strings.Contains(err.Error(), "before the snapshot's 3") {
		t.Fatalf("start with snapshots of streams that hold less: %v", err)
	}
}
