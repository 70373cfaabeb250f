package auditlog

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// mappedKB is the resident size, in KiB, of this process's mappings of
// the file at path (/proc/self/smaps).
func mappedKB(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer f.Close()
	total, in := 0, false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = strings.HasSuffix(line, path)
			continue
		}
		if in && len(fields) >= 2 && fields[0] == "Rss:" {
			kb, _ := strconv.Atoi(fields[1])
			total += kb
		}
	}
	return total
}

// TestReleasePagesUnmapsWhatWasRead: after a read of every page of a
// 3 MB log, its mapping holds them resident; releasePages, which Verify
// calls as it goes, leaves almost none, and the pages still read back
// the same records (they are mapped again from the page cache).
func TestReleasePagesUnmapsWhatWasRead(t *testing.T) {
	a := newAgency(t, "wacap", "sn-pj-dakar")
	path := testPath(t)
	l := openLog(t, path, a.options())
	es := make([]Entry, 2000)
	for i := range es {
		es[i] = Entry{Type: TypeReceived, Actor: "gh-ag-accra", Payload: payload1K()}
	}
	if _, err := l.AppendBatch(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, path)
	err := r.db.View(func(tx *bolt.Tx) error {
		var sum int
		read := func() int {
			n := 0
			tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
				return b.ForEach(func(k, v []byte) error {
					n += len(k) + len(v)
					return nil
				})
			})
			return n
		}
		sum = read()
		if kb := mappedKB(t, path); kb < 2000 {
			t.Fatalf("after reading %d bytes, %d KiB of the file mapped resident: want at least 2000", sum, kb)
		}
		releasePages(tx)
		if kb := mappedKB(t, path); kb > 64 {
			t.Errorf("after releasePages, %d KiB of the file still mapped resident", kb)
		}
		if again := read(); again != sum {
			t.Errorf("read %d bytes after releasePages, %d before", again, sum)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Verify(context.Background(), VerifyOptions{})
	if err != nil || rep.Records != 2001 {
		t.Fatalf("verify after releasePages: %v, %+v", err, rep)
	}
}
