package durable

import (
	"io"
	"os"
)

// WritebackSpan is how many bytes a Writeback lets accumulate before it
// starts the kernel writing them to disk.
const WritebackSpan = 8 << 20

// writeback is the writer Writeback returns.
type writeback struct {
	f *os.File
	// off is the file offset of the next byte written; started is where
	// the range not yet handed to the kernel begins, and waitFrom where
	// the range written back but not yet waited for begins.
	off, started, waitFrom int64
}

// Writeback returns a writer to f, written sequentially from offset off
// on, that hands what it wrote to the kernel to write to disk every
// WritebackSpan bytes, without waiting for it, and waits for the span
// before (Linux: sync_file_range; elsewhere it only writes). A big file
// then leaves at most two spans of unwritten pages behind it: the final
// sync, which its writer still owes, waits for little, and the pages do
// not pile up until the kernel throttles every writer of the machine.
// It changes nothing of what is durable when: errors of the hints are
// ignored (the final sync reports them).
func Writeback(f *os.File, off int64) io.Writer {
	return &writeback{f: f, off: off, started: off, waitFrom: off}
}

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= WritebackSpan {
		if w.started > w.waitFrom {
			waitWritten(w.f, w.waitFrom, w.started-w.waitFrom)
			w.waitFrom = w.started
		}
		startWriting(w.f, w.started, w.off-w.started)
		w.started = w.off
	}
	return n, err
}
