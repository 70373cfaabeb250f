package durable

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// What goes through Writeback is written as it is, from the offset it is
// given, over several spans and in writes of any size.
func TestWritebackWritesWhatItIsGiven(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	head := []byte("kept as it was")
	if err := os.WriteFile(path, head, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 2*WritebackSpan+12345)
	r := rand.NewChaCha8([32]byte{7})
	r.Read(want)
	w := Writeback(f, int64(len(head)))
	for rest := want; len(rest) > 0; {
		k := min(len(rest), 1+int(r.Uint64()%(1<<20)))
		if n, err := w.Write(rest[:k]); n != k || err != nil {
			t.Fatalf("write %d bytes: %d, %v", k, n, err)
		}
		rest = rest[k:]
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append(head, want...)) {
		t.Fatalf("the file has %d bytes, not the %d written", len(got), len(head)+len(want))
	}
	// Handed to the kernel span by span, the last part left to the sync.
	wb := w.(*writeback)
	if wb.off != int64(len(got)) || wb.started-int64(len(head)) < WritebackSpan || wb.off-wb.started >= WritebackSpan {
		t.Fatalf("at %d, handed to the kernel up to %d", wb.off, wb.started)
	}
}
