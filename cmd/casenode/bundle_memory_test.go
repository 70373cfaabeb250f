package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestBundleStreamsInBoundedMemory: 'seal --attach' and 'open' stream a
// bundle's attachment: sealing and opening an 80 MiB file grow the heap
// by a small fraction of it, not by the file.
func TestBundleStreamsInBoundedMemory(t *testing.T) {
	const size, bound = 80 << 20, 24 << 20
	dir := t.TempDir()
	for _, a := range []string{"dakar", "accra"} {
		if code, _, stderr := runCLI(t, "init", "--dir", filepath.Join(dir, a), "--network", "wacap", "--agency", "sn-"+a, "--name", a, "--country", "SN", "--classic"); code != 0 {
			t.Fatalf("init %s: %s", a, stderr)
		}
	}
	code, body, stderr := runCLI(t, "example", "case.request")
	if code != 0 {
		t.Fatal(stderr)
	}
	request := filepath.Join(dir, "request.json")
	if err := os.WriteFile(request, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "intercepts.wav")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	sum := h.Sum(nil)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	bundle := filepath.Join(dir, "request.bundle")
	code, _, stderr = runCLI(t, "seal", "--dir", filepath.Join(dir, "dakar"), "--to", filepath.Join(dir, "accra", "member.json"), "--type", "case.request",
		"--in", request, "--attach", file, "--out", bundle)
	if code != 0 {
		close(stop)
		t.Fatalf("seal: %s", stderr)
	}
	out := filepath.Join(dir, "got")
	code, _, stderr = runCLI(t, "open", "--dir", filepath.Join(dir, "accra"), "--trust", filepath.Join(dir, "dakar", "member.json"), "--in", bundle, "--out-dir", out)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("open: %s", stderr)
	}
	got, err := os.Open(filepath.Join(out, "intercepts.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	h.Reset()
	if _, err := io.Copy(h, got); err != nil || !bytes.Equal(h.Sum(nil), sum) {
		t.Fatalf("the file opened from the bundle differs from the one sealed (%v)", err)
	}
	grew := int64(peak) - int64(base)
	t.Logf("sealing and opening a %d MiB attachment grew the heap by %.1f MiB at most", size>>20, float64(grew)/(1<<20))
	if grew > bound {
		t.Fatalf("sealing and opening a %d MiB attachment grew the heap by %d MiB, over %d MiB: the bundle is not streamed", size>>20, grew>>20, bound>>20)
	}
}
