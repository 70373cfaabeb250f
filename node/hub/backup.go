package hub

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/casenode/casenode/node/backup"
)

// Backup writes an archive of the stopped hub of dir to w (package
// backup): hub.json, the secretariat's identity, the signed roster, the
// credentials, the users and the JetStream store, which is consistent
// because no server writes it. It refuses while a hub runs on dir, and
// holds the directory's lock so that no member change interleaves.
func Backup(w io.Writer, dir string, now time.Time) (*backup.Manifest, error) {
	unlockRun, err := lockRun(dir)
	if err != nil {
		return nil, &RunningError{Dir: dir}
	}
	defer unlockRun()
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("lock the hub directory: %w", err)
	}
	defer unlock()
	return backup.Write(w, dir, nil, func(rel string) bool {
		return rel == lockFile || rel == runLockFile || strings.HasSuffix(rel, ".tmp")
	}, now)
}

// RunningError is Backup's error while a hub serves the directory.
type RunningError struct{ Dir string }

func (e *RunningError) Error() string { return "a hub is running on " + e.Dir }

// Hint tells the operator what to do.
func (e *RunningError) Hint() string {
	return "stop it first (systemctl stop casenode-hub), back up, and start it again: nodes keep their outboxes meanwhile; or take a file-system snapshot of the directory"
}
