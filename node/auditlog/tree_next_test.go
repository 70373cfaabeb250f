package auditlog

import (
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestFrontierNextIsStoredHashes: the hashes the verifier computes for
// each record from the frontier, without tlog, are tlog's stored hashes
// for every one of 1,100 records (every shape of tree up to 11 levels),
// and the root from the frontier is tlog's.
func TestFrontierNextIsStoredHashes(t *testing.T) {
	f := newFrontier()
	var all []tlog.Hash
	var out []tlog.Hash
	for n := range int64(1100) {
		leaf := tlog.RecordHash([]byte{byte(n), byte(n >> 8)})
		want, err := tlog.StoredHashesForRecordHash(n, leaf, tlog.HashReaderFunc(func(x []int64) ([]tlog.Hash, error) {
			hs := make([]tlog.Hash, len(x))
			for i, j := range x {
				hs[i] = all[j]
			}
			return hs, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		out, err = f.next(n, leaf, out[:0])
		if err != nil {
			t.Fatalf("record %d: %v", n, err)
		}
		if len(out) != len(want) {
			t.Fatalf("record %d: %d hashes, want %d", n, len(out), len(want))
		}
		for i := range want {
			if out[i] != want[i] {
				t.Fatalf("record %d: hash %d is %s, want %s", n, i, out[i], want[i])
			}
		}
		all = append(all, want...)
		f.add(n, out)
		got, err := tlog.TreeHash(n+1, f)
		if err != nil {
			t.Fatal(err)
		}
		if root, _ := tlog.TreeHash(n+1, tlog.HashReaderFunc(func(x []int64) ([]tlog.Hash, error) {
			hs := make([]tlog.Hash, len(x))
			for i, j := range x {
				hs[i] = all[j]
			}
			return hs, nil
		})); got != root {
			t.Fatalf("root of %d records is %s, want %s", n+1, got, root)
		}
	}
}

// TestFrontierNextNeedsTheSibling: a frontier that lacks the left sibling
// a record needs is an error, not a wrong hash.
func TestFrontierNextNeedsTheSibling(t *testing.T) {
	if _, err := newFrontier().next(1, tlog.Hash{}, nil); err == nil {
		t.Fatal("record 1 hashed on an empty frontier")
	}
}

// TestFrontierReadHashesOffTheFrontier asks a frontier of 5 records for
// hashes it does not hold — a leaf inside a complete subtree, and one far
// beyond the tree. tlog asks it for the hashes on it only, but as any
// tlog.HashReader it must answer the others with an error that names the
// hash, not a panic; the hashes it holds still read.
func TestFrontierReadHashesOffTheFrontier(t *testing.T) {
	f := newFrontier()
	var out []tlog.Hash
	for n := range int64(5) {
		hashes, err := f.next(n, tlog.RecordHash([]byte{byte(n)}), out[:0])
		if err != nil {
			t.Fatal(err)
		}
		f.add(n, hashes)
	}
	for _, x := range []int64{tlog.StoredHashIndex(0, 1), tlog.StoredHashIndex(0, 1000)} {
		if hs, err := f.ReadHashes([]int64{x}); err == nil || err.Error() != fmt.Sprintf("tree hash %d is not on the frontier", x) {
			t.Errorf("hash %d, off the frontier: %v, %v", x, hs, err)
		}
	}
	on := []int64{tlog.StoredHashIndex(2, 0), tlog.StoredHashIndex(0, 4)}
	if hs, err := f.ReadHashes(on); err != nil || len(hs) != 2 {
		t.Errorf("hashes %v, on the frontier: %v, %v", on, hs, err)
	}
}
