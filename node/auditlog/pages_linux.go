package auditlog

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// readAhead advises the kernel that the pass reads the file's mapping in
// order (bbolt maps it for random reads, which turns off read-ahead: a
// pass over a copy not in the page cache then waits for every page).
func readAhead(tx *bolt.Tx) { advise(tx, syscall.MADV_SEQUENTIAL) }

// readAheadDone restores bbolt's advice for random reads.
func readAheadDone(tx *bolt.Tx) { advise(tx, syscall.MADV_RANDOM) }

// releasePages drops the process's mapping of the file's pages (bbolt maps
// the file read-only and shared): they stay in the kernel's page cache and
// a later read maps them again, but the resident memory of a pass over the
// whole log no longer grows with the file.
func releasePages(tx *bolt.Tx) { advise(tx, syscall.MADV_DONTNEED) }

// advise gives the kernel advice on the mapping of the file's pages that
// tx sees. Advice only: a failure changes nothing the pass reads.
func advise(tx *bolt.Tx, advice int) {
	if n := tx.Size(); n > 0 {
		syscall.Syscall(syscall.SYS_MADVISE, tx.DB().Info().Data, uintptr(n), uintptr(advice))
	}
}
