//go:build unix

package hub

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive lock on the hub directory, so that two changes
// of the roster cannot interleave. It waits for a lock another process holds.
// The lock goes away with the process, so it is never stale.
func lockDir(dir string) (unlock func(), err error) {
	return flock(filepath.Join(dir, lockFile), syscall.LOCK_EX)
}

// lockRun marks the hub directory as served by this process, failing at
// once if another hub serves it.
func lockRun(dir string) (unlock func(), err error) {
	unlock, err = flock(filepath.Join(dir, runLockFile), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, fmt.Errorf("another hub is already running on %s", dir)
	}
	return unlock, err
}

func flock(path string, how int) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock hub directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock hub directory: %w", err)
	}
	return func() { f.Close() }, nil
}
