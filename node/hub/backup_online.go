package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/backup"
	"github.com/casenode/casenode/protocol"
)

// SnapshotsDir is the directory of an online backup's stream snapshots in
// the archive; a hub that starts with it restores the streams from it
// (restore_streams.go) and removes it.
const SnapshotsDir = "jetstream-snapshots"

// Names of a stream's files in SnapshotsDir.
const (
	snapshotMetaExt = ".json"
	snapshotDataExt = ".snapshot"
)

// Backup writes an archive of the running hub to w (package backup) while
// it goes on serving, in this order, so that what a later step copies is
// at least as new as what an earlier one did:
//
//  1. stats.json, whose counts go up to a stream sequence the messages
//     stream's snapshot holds;
//  2. a snapshot of every JetStream stream through the server's snapshot
//     API, each with its consumers' state — the messages stream first,
//     then the attachment records, then their chunks (an attachment is
//     uploaded before its message is published, and its record made
//     before its chunks), then the buckets;
//  3. the hub directory's files as they are (hub.json, roster.jws,
//     users.json, keys, credentials, certificates…), roster.jws after the
//     roster bucket's snapshot, so that the restored hub does not take its
//     roster for a rollback;
//  4. a consistent copy of the hub's audit log from one read transaction.
//
// It holds the directory's lock meanwhile, so that no member change made
// with the CLI interleaves. The live JetStream store (store_dir) is not
// copied: the snapshots stand for it. A snapshot holds the messages the
// stream held when the server served its request; those stored later are
// not in the archive. The snapshots are spooled in the hub directory
// (files ending in .tmp, removed after) since the archive needs each
// file's size before its bytes.
func (h *Hub) Backup(ctx context.Context, w io.Writer, now time.Time) (*backup.Manifest, error) {
	if h.cfg.Cluster.Enabled() {
		return nil, &hint.Error{Msg: "an online backup of a clustered hub is not supported",
			Fix: "stop one server of the cluster and run 'casenode hub backup' on its directory: the other two go on serving"}
	}
	unlock, err := lockDir(h.dir)
	if err != nil {
		return nil, fmt.Errorf("lock the hub directory: %w", err)
	}
	defer unlock()

	var snaps []backup.Snapshot
	stats, err := os.ReadFile(filepath.Join(h.dir, StatsFile))
	switch {
	case err == nil:
		snaps = append(snaps, bytesSnapshot(StatsFile, stats))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", StatsFile, err)
	}
	names, err := h.streamNames(ctx)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		s, err := h.spoolSnapshot(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("snapshot of stream %s: %w", name, err)
		}
		defer s.remove()
		snaps = append(snaps, s.entries()...)
	}
	snaps = append(snaps, backup.Snapshot{Path: OwnLogFile, View: h.own.SnapshotView})
	m, err := backup.Write(w, h.dir, snaps, h.skipOnline, now)
	if err != nil {
		h.log.Error("backup failed", "err", err)
		return nil, err
	}
	h.log.Info("backup written", "files", len(m.Files), "bytes", m.Bytes(), "streams", len(names))
	return m, nil
}

// skipOnline leaves out of an online backup what the stopped-hub backup
// leaves out, the live JetStream store and stream snapshots of an earlier
// restore.
func (h *Hub) skipOnline(rel string) bool {
	if skipStopped(rel) || rel == SnapshotsDir || strings.HasPrefix(rel, SnapshotsDir+"/") {
		return true
	}
	store, err := filepath.Rel(h.dir, h.cfg.StoreDir)
	if err != nil || store == "." || strings.HasPrefix(store, "..") {
		return false
	}
	store = filepath.ToSlash(store)
	return rel == store || strings.HasPrefix(rel, store+"/")
}

// skipStopped leaves out of a backup the lock files and temporary files.
func skipStopped(rel string) bool {
	return rel == lockFile || rel == runLockFile || strings.HasSuffix(rel, ".tmp")
}

// streamNames lists the hub account's streams in the order Backup
// snapshots them.
func (h *Hub) streamNames(ctx context.Context) ([]string, error) {
	var names []string
	l := h.js.StreamNames(ctx)
	for n := range l.Name() {
		names = append(names, n)
	}
	if err := l.Err(); err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	first := []string{protocol.StreamName(h.cfg.Network), "KV_" + attachBucket(h.cfg.Network), attachStreamName(h.cfg.Network)}
	rank := func(n string) int {
		if i := slices.Index(first, n); i >= 0 {
			return i
		}
		return len(first)
	}
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return names, nil
}

// spooled is one stream's snapshot spooled to a temporary file.
type spooled struct {
	name string
	meta []byte
	file *os.File
	size int64
}

// spoolSnapshot takes the snapshot of stream name into a temporary file
// of the hub directory (mode 0600: it holds the sealed messages).
func (h *Hub) spoolSnapshot(ctx context.Context, name string) (*spooled, error) {
	f, err := os.CreateTemp(h.dir, ".snapshot-*.tmp")
	if err != nil {
		return nil, err
	}
	s := &spooled{name: name, file: f}
	meta, err := snapshotStream(ctx, h.nc, name, f)
	if err == nil {
		s.meta, err = json.Marshal(meta)
	}
	if err == nil {
		s.size, err = f.Seek(0, io.SeekCurrent)
	}
	if err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

// entries are the archive's files of s: its meta document and its bytes.
func (s *spooled) entries() []backup.Snapshot {
	return []backup.Snapshot{
		bytesSnapshot(SnapshotsDir+"/"+s.name+snapshotMetaExt, s.meta),
		{Path: SnapshotsDir + "/" + s.name + snapshotDataExt, View: func(fn func(int64, io.WriterTo) error) error {
			return fn(s.size, writerTo{io.NewSectionReader(s.file, 0, s.size)})
		}},
	}
}

func (s *spooled) remove() {
	s.file.Close()
	os.Remove(s.file.Name())
}

// bytesSnapshot is an archive file whose bytes were read earlier.
func bytesSnapshot(path string, b []byte) backup.Snapshot {
	return backup.Snapshot{Path: path, View: func(fn func(int64, io.WriterTo) error) error {
		return fn(int64(len(b)), bytes.NewReader(b))
	}}
}

// writerTo makes a reader a WriterTo.
type writerTo struct{ r io.Reader }

func (w writerTo) WriteTo(dst io.Writer) (int64, error) { return io.Copy(dst, w.r) }
