package agency

import (
	"bytes"
	"crypto/sha256"
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
