package auditlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the audit log's file name in a node's data directory.
const FileName = "audit.db"

// DefaultLockTimeout is how long opening waits for another process's lock
// on the file before it reports the log in use.
const DefaultLockTimeout = 2 * time.Second

// formatID is the meta "format" value: what the file is, and the version of
// its layout. Version 2: every commit stores a signed checkpoint of all its
// records, the chain holds no checkpoint records, received records may be
// record version 2 and record 1 may be a restart record. A version 1 file
// (a checkpoint every so many records, with its checkpoint record) still
// opens and verifies, and its first commit marks it version 2.
const (
	formatID   = "casenode-audit-log/2"
	formatIDV1 = "casenode-audit-log/1"
)

// The buckets of the file (docs/AUDIT.md). All keys are 8-byte big-endian
// integers except in meta.
const (
	bucketMeta        = "meta"        // format, origin, signing intent, own card
	bucketRecords     = "records"     // seq → encoded record
	bucketPayloads    = "payloads"    // seq → payload
	bucketHashes      = "hashes"      // tlog stored hash index → 32-byte hash
	bucketCheckpoints = "checkpoints" // tree size → signed checkpoint
)

// knownBuckets are every bucket an audit log may hold: verify reports any
// other as an integrity failure, except the node's store (StoreBucket) in
// a node's own file, and a snapshot copies these and nothing else. A new
// bucket is added here.
func knownBuckets() []string {
	return []string{bucketMeta, bucketRecords, bucketPayloads, bucketHashes, bucketCheckpoints, bucketCosignatures}
}

// unknownBucket returns the name of the first bucket of tx that is
// neither an audit log's nor the node's store, or "".
func unknownBucket(tx *bolt.Tx) string {
	known := knownBuckets()
	c := tx.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if !slices.Contains(known, string(k)) && string(k) != StoreBucket {
			return string(k)
		}
	}
	return ""
}

// Keys of the meta bucket.
const (
	metaFormat  = "format"   // formatID
	metaOrigin  = "origin"   // the log's origin
	metaSigning = "signing"  // size (8 bytes) ‖ root (32): the largest tree the log was about to sign
	metaOwnCard = "own-card" // seq (8 bytes) of the key record holding the log's current own card
)

// buckets are the buckets of one transaction.
type buckets struct {
	meta, records, payloads, hashes, checkpoints *bolt.Bucket
}

// readBuckets returns the buckets of a read transaction, or an error if the
// file is not an audit log.
func readBuckets(tx *bolt.Tx) (*buckets, error) {
	b := &buckets{
		meta:        tx.Bucket([]byte(bucketMeta)),
		records:     tx.Bucket([]byte(bucketRecords)),
		payloads:    tx.Bucket([]byte(bucketPayloads)),
		hashes:      tx.Bucket([]byte(bucketHashes)),
		checkpoints: tx.Bucket([]byte(bucketCheckpoints)),
	}
	if b.meta == nil || b.records == nil || b.payloads == nil || b.hashes == nil || b.checkpoints == nil {
		return nil, fmt.Errorf("not a casenode audit log: buckets missing")
	}
	if f := string(b.meta.Get([]byte(metaFormat))); f != formatID && f != formatIDV1 {
		return nil, fmt.Errorf("not a casenode audit log: format %q, want %q or %q", f, formatID, formatIDV1)
	}
	return b, nil
}

// writeBuckets returns the buckets of a write transaction, creating them in
// a new file, with a fill percent of 1: keys only ever grow, so pages are
// filled to the brim instead of split in half.
func writeBuckets(tx *bolt.Tx) (*buckets, error) {
	var bs [5]*bolt.Bucket
	for i, name := range []string{bucketMeta, bucketRecords, bucketPayloads, bucketHashes, bucketCheckpoints} {
		b, err := tx.CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, err)
		}
		b.FillPercent = 1.0
		bs[i] = b
	}
	return &buckets{meta: bs[0], records: bs[1], payloads: bs[2], hashes: bs[3], checkpoints: bs[4]}, nil
}

// InUseError reports a log file locked by another process, normally the
// running node.
type InUseError struct {
	// Path is the file.
	Path string
}

// Error says which file is in use, and what to do.
func (e *InUseError) Error() string {
	return fmt.Sprintf("audit log %s is in use by a running node; use 'casenode audit snapshot'", e.Path)
}

// itob encodes a key.
func itob(n int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return b[:]
}

// btoi decodes a key; ok is false if k is not a valid key.
func btoi(k []byte) (n int64, ok bool) {
	if len(k) != 8 || k[0]&0x80 != 0 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(k)), true
}

// openDB opens the bbolt file, waiting at most timeout for its lock. A
// read-only open takes a shared lock and never writes to the file; it
// refuses a missing or empty file rather than create one.
func openDB(path string, readOnly bool, timeout time.Duration) (*bolt.DB, error) {
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	if readOnly {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("open audit log: %w", err)
		}
		if fi.Size() == 0 {
			return nil, fmt.Errorf("open audit log %s: empty file", path)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  timeout,
		ReadOnly: readOnly,
		// The freelist is rebuilt from the pages at open: commits write
		// and sync less.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &InUseError{Path: path}
	}
	if err != nil {
		return nil, fmt.Errorf("open audit log %s: %w", path, err)
	}
	return db, nil
}

// ownCard notes in meta that record seq holds the log's own card; for
// record 0 it also writes the format and the origin.
func (b *buckets) ownCard(seq int64, origin string) error {
	if seq == 0 {
		if err := b.meta.Put([]byte(metaFormat), []byte(formatID)); err != nil {
			return err
		}
		if err := b.meta.Put([]byte(metaOrigin), []byte(origin)); err != nil {
			return err
		}
	}
	return b.meta.Put([]byte(metaOwnCard), itob(seq))
}
