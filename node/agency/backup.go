package agency

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/backup"
	"github.com/casenode/casenode/node/store"
)

// Backup writes an archive of the node's whole directory to w while the
// node runs (package backup): its files as they are, then a consistent
// copy of its one file, the audit log with the store, from one read
// transaction, so that the log's copy records everything the store's
// holds. It first waits for the records already queued, as AuditSnapshot
// does. Restored, the archive is a node that has received what the copy
// holds: what the node acknowledged to the hub after the copy is not in
// it.
func (n *Node) Backup(w io.Writer) (*backup.Manifest, error) {
	if n.audit.Flush(context.Background()) == nil {
		if _, err := n.audit.Checkpoint(); err != nil {
			n.log.Warn("backup: no checkpoint signed before the copy", "err", err)
		}
	}
	snaps := []backup.Snapshot{{Path: auditlog.FileName, View: n.audit.SnapshotView}}
	m, err := backup.Write(w, n.dir, snaps, skipInBackup, n.o.Now())
	if err != nil {
		n.log.Error("backup failed", "err", err)
		return nil, err
	}
	n.log.Info("backup written", "files", len(m.Files), "bytes", m.Bytes())
	return m, nil
}

// BackupStopped writes the archive of the directory of a node that is not
// running; it fails with backup.ErrInUse within timeout if a node holds
// its files. A directory of the earlier layout, not yet converted, has
// its store's file copied the same way.
func BackupStopped(w io.Writer, dir string, timeout time.Duration, now time.Time) (*backup.Manifest, error) {
	var snaps []backup.Snapshot
	if _, err := os.Stat(filepath.Join(dir, store.OldFileName)); err == nil {
		snaps = append(snaps, backup.FileSnapshot(dir, store.OldFileName, timeout))
	}
	snaps = append(snaps, backup.FileSnapshot(dir, auditlog.FileName, timeout))
	return backup.Write(w, dir, snaps, skipInBackup, now)
}

// skipInBackup leaves out the temporary files of interrupted writes.
func skipInBackup(rel string) bool {
	return strings.HasSuffix(rel, ".tmp")
}
