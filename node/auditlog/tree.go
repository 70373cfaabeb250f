package auditlog

import (
	"crypto/sha256"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// bucketHashReader reads stored tree hashes from the hashes bucket, keyed
// by tlog.StoredHashIndex.
func bucketHashReader(b *bolt.Bucket) tlog.HashReaderFunc {
	return func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			v := b.Get(itob(x))
			if len(v) != tlog.HashSize {
				return nil, fmt.Errorf("tree hash %d is missing or damaged", x)
			}
			copy(out[i][:], v)
		}
		return out, nil
	}
}

// maxLevel bounds tree levels: 2^62 records.
const maxLevel = 63

// frontier holds, for each level of the tree, the last complete subtree
// hash: all that tlog.StoredHashes needs to add the next record and all that
// tlog.TreeHash needs for the current root. It is a tlog.HashReader.
type frontier struct {
	idx  [maxLevel]int64 // stored hash index of hash[l], -1 if none
	hash [maxLevel]tlog.Hash
}

var _ tlog.HashReader = (*frontier)(nil)

func newFrontier() *frontier {
	f := new(frontier)
	for l := range f.idx {
		f.idx[l] = -1
	}
	return f
}

// loadFrontier reads the frontier of a tree of size records from r.
func loadFrontier(size int64, r tlog.HashReader) (*frontier, error) {
	f := newFrontier()
	var idx []int64
	var levels []int
	for l := 0; l < maxLevel && size>>uint(l) > 0; l++ {
		idx = append(idx, tlog.StoredHashIndex(l, size>>uint(l)-1))
		levels = append(levels, l)
	}
	hs, err := r.ReadHashes(idx)
	if err != nil {
		return nil, err
	}
	for i, l := range levels {
		f.idx[l], f.hash[l] = idx[i], hs[i]
	}
	return f, nil
}

// add records the hashes tlog.StoredHashes returned for record n: hashes[l]
// is the level-l hash completed by it.
func (f *frontier) add(n int64, hashes []tlog.Hash) {
	for l, h := range hashes {
		f.idx[l] = tlog.StoredHashIndex(l, n>>uint(l))
		f.hash[l] = h
	}
}

// ReadHashes implements tlog.HashReader for the hashes the frontier holds.
func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		l := 0
		for l < maxLevel && f.idx[l] != x {
			l++
		}
		if l == maxLevel {
			return nil, fmt.Errorf("tree hash %d is not on the frontier", x)
		}
		out[i] = f.hash[l]
	}
	return out, nil
}

// next returns, appended to out, the hashes record n with leaf hash leaf
// adds to the tree (tlog.StoredHashesForRecordHash's, computed from the
// frontier without allocating): the leaf, then each level's hash it
// completes. It fails if the frontier lacks a sibling it needs.
func (f *frontier) next(n int64, leaf tlog.Hash, out []tlog.Hash) ([]tlog.Hash, error) {
	out = append(out, leaf)
	h := leaf
	for l := 0; l < maxLevel && (n>>uint(l))&1 == 1; l++ {
		x := tlog.StoredHashIndex(l, n>>uint(l)-1)
		if f.idx[l] != x {
			return out, fmt.Errorf("tree hash %d is not on the frontier", x)
		}
		h = nodeHash(&f.hash[l], &h)
		out = append(out, h)
	}
	return out, nil
}

// nodeHash is tlog.NodeHash without its allocations: SHA-256(0x01 ‖ left
// ‖ right).
func nodeHash(left, right *tlog.Hash) tlog.Hash {
	var buf [1 + 2*tlog.HashSize]byte
	buf[0] = 1
	copy(buf[1:], left[:])
	copy(buf[1+tlog.HashSize:], right[:])
	return sha256.Sum256(buf[:])
}
