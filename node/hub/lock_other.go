//go:build !unix

package hub

// lockDir does nothing where flock(2) is missing: run one roster change at a
// time there.
func lockDir(dir string) (unlock func(), err error) { return func() {}, nil }

// lockRun does nothing where flock(2) is missing.
func lockRun(dir string) (unlock func(), err error) { return func() {}, nil }
