package hub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/casenode/casenode/node/backup"
)

// BackupStopped writes an archive of the stopped hub of dir to w (package
// backup): hub.json, the secretariat's identity, the signed roster, the
// credentials, the users and the JetStream store, which is consistent
// because no server writes it. It refuses while a hub runs on dir, and
// holds the directory's lock so that no member change interleaves.
func BackupStopped(w io.Writer, dir string, now time.Time) (*backup.Manifest, error) {
	unlockRun, err := lockRun(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, &RunningError{Dir: dir}
	}
	defer unlockRun()
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("lock the hub directory: %w", err)
	}
	defer unlock()
	return backup.Write(w, dir, nil, skipStopped, now)
}

// RunningError is BackupStopped's error while a hub serves the directory:
// the running hub takes the backup itself (Hub.Backup), asked through its
// control socket (control.go).
type RunningError struct{ Dir string }

func (e *RunningError) Error() string { return "a hub is running on " + e.Dir }

// Hint tells the operator what to do.
func (e *RunningError) Hint() string {
	return "ask the running hub for the backup ('casenode hub backup' does when it finds the hub running), or stop it first"
}
