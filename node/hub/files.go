package hub

import (
	"errors"
	"io/fs"

	"github.com/casenode/casenode/internal/durable"
)

// Names inside a hub directory.
const (
	SecretariatDir = "secretariat"
	RosterFile     = "roster.jws"
	UsersFile      = "users.json"
	AdminCredsFile = "admin.creds"
	CredsDir       = "creds"
	lockFile       = ".lock"
	runLockFile    = ".run.lock"
)

// writeExclusive creates path, which must not exist, with mode and data,
// durably. Secrets are written this way.
func writeExclusive(path string, data []byte, mode fs.FileMode) error {
	err := durable.WriteNew(path, data, mode)
	if errors.Is(err, fs.ErrExist) {
		return &ExistsError{Path: path}
	}
	return err
}

// ExistsError reports a file that casenode refuses to overwrite.
type ExistsError struct{ Path string }

// Error implements error.
func (e *ExistsError) Error() string { return e.Path + " already exists" }

// Hint tells the user how to proceed.
func (e *ExistsError) Hint() string {
	return "casenode never overwrites a secret or a hub: move the file away, or choose another path"
}
