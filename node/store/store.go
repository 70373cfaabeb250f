package store

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// OldFileName is the store's own file in a node directory of the earlier
// layout (before the store moved into the node's one file, which its audit
// log holds open: OpenIn). A node opening such a directory converts it once
// (auditlog.CombineStore).
const OldFileName = "node.db"

// DefaultLockTimeout is how long Open waits for another process's lock.
const DefaultLockTimeout = 2 * time.Second

// Bucket names.
var (
	bucketInbox    = []byte("inbox")          // message id → InboxEntry
	bucketInSeq    = []byte("inbox-seq")      // arrival seq → message id
	bucketOutbox   = []byte("outbox")         // message id → OutboxEntry
	bucketOutRaw   = []byte("outbox-raw")     // message id → sealed bytes
	bucketOutCopy  = []byte("outbox-copies")  // message id → copyStates
	bucketOutSeq   = []byte("outbox-seq")     // send seq → message id
	bucketOutWait  = []byte("outbox-pending") // send seq → id, while a copy waits
	bucketThreads  = []byte("threads")        // case id 0x00 seq → ThreadItem
	bucketCases    = []byte("cases")          // case id → CaseSummary
	bucketContacts = []byte("contacts")       // agency → Contact
	bucketReceipts = []byte("receipts")       // seq → QueuedReceipt
	bucketRejected = []byte("rejected")       // seq → Rejection
	bucketIntents  = []byte("audit-intents")  // seq → AuditIntent
	bucketMeta     = []byte("meta")           // see meta.go
	bucketCounts   = []byte("counts")         // counter name → int64 (meta.go)
	bucketAttach   = []byte("attachments")    // direction/message id → AttachJob
)

func allBuckets() [][]byte {
	return [][]byte{bucketInbox, bucketInSeq, bucketOutbox, bucketOutRaw, bucketOutCopy, bucketOutSeq, bucketOutWait, bucketThreads,
		bucketCases, bucketContacts, bucketReceipts, bucketRejected, bucketIntents, bucketMeta, bucketCounts, bucketAttach}
}

// Store is an open node database.
type Store struct {
	db   *bolt.DB
	path string
	// root is the bucket the store's buckets are in (OpenIn); nil when the
	// store has its file to itself (Open).
	root []byte
	// shared writes a group commit in a transaction of the file's owner
	// (OpenIn); nil when the store commits itself (its committer c).
	shared func(fn func(tx *bolt.Tx) error) error
	c      *committer
}

// InUseError reports a store another process holds: a running node.
type InUseError struct{ Path string }

// Error implements error.
func (e *InUseError) Error() string {
	return fmt.Sprintf("%s is in use by another process: is the node already running?", e.Path)
}

// Hint tells the user what to do.
func (e *InUseError) Hint() string {
	return "talk to the running node with the casenode commands (they use its API), or stop it first"
}

// Open opens or creates a store in a file of its own at path, waiting at
// most timeout (zero: DefaultLockTimeout) for another process's lock. A
// node keeps its store in its one file instead (OpenIn).
func Open(path string, timeout time.Duration) (*Store, error) {
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &InUseError{Path: path}
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.create(); err != nil {
		db.Close()
		return nil, err
	}
	s.startCommitter()
	return s, nil
}

// OpenIn opens or creates the store kept in bucket of db, the node's one
// file, which its owner (the node's audit log) holds open: commit runs the
// store's group commits (Commit) in the owner's transactions, so that they
// share its commits and its syncs, and the node puts the writes of a
// message and its audit records in one transaction with Apply. Close
// leaves db open.
func OpenIn(db *bolt.DB, bucket string, commit func(fn func(tx *bolt.Tx) error) error) (*Store, error) {
	s := &Store{db: db, path: db.Path(), root: []byte(bucket), shared: commit}
	if err := s.create(); err != nil {
		return nil, err
	}
	return s, nil
}

// create makes the store's buckets and checks its format.
func (s *Store) create() error {
	err := s.db.Update(func(btx *bolt.Tx) error {
		if s.root != nil {
			if _, err := btx.CreateBucketIfNotExists(s.root); err != nil {
				return err
			}
		}
		tx := s.wrap(btx)
		for _, name := range allBuckets() {
			if _, err := tx.createBucket(name); err != nil {
				return err
			}
		}
		return checkFormat(tx)
	})
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.path, err)
	}
	return nil
}

// Close writes what Commit has queued and closes the file (a store from
// OpenIn leaves it to its owner).
func (s *Store) Close() error {
	if s.shared != nil {
		return nil
	}
	s.stopCommitter()
	return s.db.Close()
}

// Path returns the store's file.
func (s *Store) Path() string { return s.path }

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(tx *Tx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(s.wrap(btx)) })
}

// Update runs fn in a read-write transaction of its own, committed (and
// synced) when fn returns nil.
func (s *Store) Update(fn func(tx *Tx) error) error {
	return s.db.Update(func(btx *bolt.Tx) error { return fn(s.wrap(btx)) })
}

// Apply runs fn on the store within btx, a write transaction of the file
// the store shares (OpenIn) that its owner commits: how the node writes a
// message and its audit records in one transaction.
func (s *Store) Apply(btx *bolt.Tx, fn func(tx *Tx) error) error {
	return fn(s.wrap(btx))
}

// wrap returns the store's view of btx.
func (s *Store) wrap(btx *bolt.Tx) *Tx {
	t := &Tx{tx: btx}
	if s.root != nil {
		t.root = btx.Bucket(s.root)
	}
	return t
}

// Tx is a store transaction. Its methods keep the indexes and counters in
// step with the records.
type Tx struct {
	tx *bolt.Tx
	// root holds the store's buckets in a shared file; nil when they are
	// the file's own.
	root *bolt.Bucket
}

// Bolt returns the bbolt transaction of t, to read in the same
// transaction what the node's file holds beside the store: the audit
// log's record of a sent message (OutboxEntry.SentRecord).
func (t *Tx) Bolt() *bolt.Tx { return t.tx }

func (t *Tx) bucket(name []byte) *bolt.Bucket {
	if t.root != nil {
		return t.root.Bucket(name)
	}
	return t.tx.Bucket(name)
}

// createBucket returns the bucket name, creating it if need be.
func (t *Tx) createBucket(name []byte) (*bolt.Bucket, error) {
	if t.root != nil {
		return t.root.CreateBucketIfNotExists(name)
	}
	return t.tx.CreateBucketIfNotExists(name)
}

// ViewIn runs fn in a read-only transaction of the store kept in bucket of
// db, which may be open read-only: it creates nothing. It reports false,
// without calling fn, when db holds no such store.
func ViewIn(db *bolt.DB, bucket string, fn func(tx *Tx) error) (bool, error) {
	found := false
	err := db.View(func(btx *bolt.Tx) error {
		root := btx.Bucket([]byte(bucket))
		if root == nil {
			return nil
		}
		found = true
		return fn(&Tx{tx: btx, root: root})
	})
	return found, err
}

// In returns the store kept in bucket of the file btx is a transaction of,
// or nil when it holds none: for a caller that has the transaction and no
// Store (a file being converted, a log being started over). It creates
// nothing and checks no format.
func In(btx *bolt.Tx, bucket string) *Tx {
	root := btx.Bucket([]byte(bucket))
	if root == nil {
		return nil
	}
	return &Tx{tx: btx, root: root}
}
