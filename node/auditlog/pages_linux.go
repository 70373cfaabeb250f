package auditlog

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releasePages drops the process's mapping of the file's pages (bbolt maps
// the file read-only and shared): they stay in the kernel's page cache and
// a later read maps them again, but the resident memory of a pass over the
// whole log no longer grows with the file.
func releasePages(tx *bolt.Tx) {
	if n := tx.Size(); n > 0 {
		// Advice only: a failure leaves the pages mapped, nothing worse.
		syscall.Syscall(syscall.SYS_MADVISE, tx.DB().Info().Data, uintptr(n), syscall.MADV_DONTNEED)
	}
}
