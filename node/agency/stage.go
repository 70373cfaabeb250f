package agency

import (
	"hash"
	"io"
)

// Stages: a stream of bytes handed from the goroutine that writes it to
// another that reads it, through a few buffers of copies, so that the
// work on either side (a digest, a decryption) runs on
// a core of its own and keeps pace with the other instead of holding
// each piece up in turn.

// stage hands copies of what is written to it to one reader on another
// goroutine, through stageBuffers buffers: a Write waits only when they
// are all taken.
type stage struct {
	full chan []byte
	free chan []byte
}

func newStage() *stage {
	s := &stage{full: make(chan []byte, stageBuffers), free: make(chan []byte, stageBuffers)}
	for range stageBuffers {
		s.free <- make([]byte, 0, stageBuffer)
	}
	return s
}

func (s *stage) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := <-s.free
		k := min(len(p), cap(b))
		b = append(b[:0], p[:k]...)
		p = p[k:]
		s.full <- b
	}
	return n, nil
}

// close ends what is written: the reader then reads io.EOF.
func (s *stage) close() { close(s.full) }

// reader returns the reader of what is written, for one goroutine.
func (s *stage) reader() io.Reader { return &stageReader{s: s} }

type stageReader struct {
	s   *stage
	cur []byte // the buffer being read, nil when none
	off int
}

func (r *stageReader) Read(p []byte) (int, error) {
	if r.cur == nil {
		b, ok := <-r.s.full
		if !ok {
			return 0, io.EOF
		}
		r.cur, r.off = b, 0
	}
	n := copy(p, r.cur[r.off:])
	r.off += n
	if r.off == len(r.cur) {
		r.s.free <- r.cur
		r.cur = nil
	}
	return n, nil
}

// WriteTo hands each buffer to w as it is, without a copy.
func (r *stageReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if r.cur == nil {
			b, ok := <-r.s.full
			if !ok {
				return total, nil
			}
			r.cur, r.off = b, 0
		}
		n, err := w.Write(r.cur[r.off:])
		total += int64(n)
		r.s.free <- r.cur
		r.cur = nil
		if err != nil {
			return total, err
		}
	}
}

// hashStage hashes and counts what is written to it on a goroutine of its
// own.
type hashStage struct {
	s    *stage
	h    hash.Hash
	n    int64
	done chan struct{}
}

func newHashStage(h hash.Hash) *hashStage {
	hs := &hashStage{s: newStage(), h: h, done: make(chan struct{})}
	go func() {
		defer close(hs.done)
		hs.n, _ = hs.s.reader().(io.WriterTo).WriteTo(hs.h)
	}()
	return hs
}

func (hs *hashStage) Write(p []byte) (int, error) { return hs.s.Write(p) }

// finish ends what is written and returns its digest and size.
func (hs *hashStage) finish() ([]byte, int64) {
	hs.s.close()
	<-hs.done
	return hs.h.Sum(nil), hs.n
}
