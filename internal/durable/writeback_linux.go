package durable

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriting has the kernel start writing n bytes of f at off to disk.
func startWriting(f *os.File, off, n int64) {
	syncRange(f, off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// waitWritten waits until n bytes of f at off are written to disk
// (without the metadata a sync also writes).
func waitWritten(f *os.File, off, n int64) {
	syncRange(f, off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
}

func syncRange(f *os.File, off, n int64, flags int) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.SyncFileRange(int(fd), off, n, flags)
	})
}
