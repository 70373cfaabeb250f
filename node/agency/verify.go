package agency

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"

	"github.com/casenode/casenode/crypto/seal"
)

// verifier checks a ciphertext as it is written to it, in order: its
// SHA-256 and size, and its plaintext's, decrypting it as it goes, so that
// a download is checked while it runs instead of read again after. The
// three passes run on goroutines of their own, each fed copies of what it
// is given through a few buffers (hashStage): the writer only copies, and
// on a machine of two cores the ciphertext's digest, the decryption and
// the plaintext's digest keep pace with the download instead of holding
// each chunk up in turn.
type verifier struct {
	cipher *hashStage // the ciphertext's digest and size
	open   *stage     // the ciphertext, to the decryption
	plain  *hashStage // the plaintext's digest and size
	done   chan struct{}
	res    checked
}

// stageBuffers is how many buffers a stage has: the bytes it holds
// waiting at most stageBuffers times stageBuffer.
const (
	stageBuffers = 4
	stageBuffer  = 256 << 10
)

func (x *transfers) newVerifier() *verifier {
	v := &verifier{cipher: newHashStage(sha256.New()), open: newStage(), plain: newHashStage(sha256.New()), done: make(chan struct{})}
	go func() {
		defer close(v.done)
		r := v.open.reader()
		if pt, err := seal.DecryptAttachment(r, x.n.ident()); err != nil {
			v.res.err = "cannot decrypt it: " + err.Error()
		} else if _, err = io.Copy(v.plain, pt); err != nil {
			v.res.err = "its ciphertext is damaged: " + err.Error()
		}
		// What follows a failure is read all the same: the writer never
		// waits for a decryption that stopped.
		io.Copy(io.Discard, r)
	}()
	return v
}

func (v *verifier) Write(p []byte) (int, error) {
	v.cipher.Write(p)
	v.open.Write(p)
	return len(p), nil
}

// finish ends the ciphertext and returns what the verifier found.
func (v *verifier) finish() checked {
	v.open.close()
	<-v.done
	var sum []byte
	sum, v.res.size = v.plain.finish()
	v.res.plainSum = hex.EncodeToString(sum)
	sum, v.res.cipherSize = v.cipher.finish()
	v.res.cipherSum = hex.EncodeToString(sum)
	return v.res
}

// abort stops the verifier of a download that failed.
func (v *verifier) abort() {
	v.finish()
}

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
