package agency

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// A stage gives its reader exactly what was written to it, in writes of
// any size, whatever the writer does with its slices after; a hash stage
// the SHA-256 and size of it.
func TestStagesPassWhatIsWritten(t *testing.T) {
	r := rand.NewChaCha8([32]byte{3})
	want := make([]byte, 3*stageBuffers*stageBuffer+777)
	r.Read(want)
	s, hs := newStage(), newHashStage(sha256.New())
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(s.reader())
		got <- b
	}()
	buf := make([]byte, 1<<20)
	for rest := want; len(rest) > 0; {
		k := min(len(rest), 1+int(r.Uint64()%uint64(len(buf))))
		copy(buf, rest[:k])
		s.Write(buf[:k])
		hs.Write(buf[:k])
		clear(buf[:k]) // the stages took copies
		rest = rest[k:]
	}
	s.close()
	sum, n := hs.finish()
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("the reader got %d bytes, not the %d written", len(b), len(want))
	}
	if w := sha256.Sum256(want); !bytes.Equal(sum, w[:]) || n != int64(len(want)) {
		t.Fatalf("hash stage: %x of %d bytes, want %x of %d", sum, n, w, len(want))
	}
}

// failAfter is a writer that takes n bytes, then fails.
type failAfter struct {
	n   int
	got bytes.Buffer
}

var errFull = errors.New("no space left on device")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.got.Len()+len(p) > f.n {
		return 0, errFull
	}
	return f.got.Write(p)
}

// An asynchronous writer writes everything, in order, to its writer; once
// a write of it failed, the writes after it and close fail with its error,
// and the writer is never held up.
func TestAsyncWriterWritesInOrderAndReportsAFailure(t *testing.T) {
	want := bytes.Repeat([]byte("0123456789abcdef"), 100_000)
	var w bytes.Buffer
	a := newAsyncWriter(&w)
	for rest := want; len(rest) > 0; rest = rest[min(len(rest), 70_001):] {
		a.Write(rest[:min(len(rest), 70_001)])
	}
	if err := a.close(); err != nil || !bytes.Equal(w.Bytes(), want) {
		t.Fatalf("close: %v; %d bytes written of %d", err, w.Len(), len(want))
	}

	f := &failAfter{n: stageBuffer}
	a = newAsyncWriter(f)
	var err error
	for range 4 * stageBuffers {
		if _, err = a.Write(make([]byte, stageBuffer)); err != nil {
			break
		}
	}
	if cerr := a.close(); !errors.Is(cerr, errFull) {
		t.Fatalf("close: %v, want %v", cerr, errFull)
	}
	if _, err := a.Write([]byte("more")); !errors.Is(err, errFull) {
		t.Fatalf("a write after the failure: %v", err)
	}
	if f.got.Len() != stageBuffer {
		t.Fatalf("%d bytes written before the failure", f.got.Len())
	}
}
