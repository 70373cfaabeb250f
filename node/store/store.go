package store

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the store's file in the node directory.
const FileName = "node.db"

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
	bucketAttach   = []byte("attachments")    // direction/message id → AttachJob
)

func allBuckets() [][]byte {
	return [][]byte{bucketInbox, bucketInSeq, bucketOutbox, bucketOutRaw, bucketOutCopy, bucketOutSeq, bucketOutWait, bucketThreads,
		bucketCases, bucketContacts, bucketReceipts, bucketRejected, bucketIntents, bucketMeta, bucketAttach}
}

// Store is an open node database.
type Store struct {
	db   *bolt.DB
	path string
	c    *committer
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

// Open opens or creates the store at path, waiting at most timeout (zero:
// DefaultLockTimeout) for another process's lock.
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
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets() {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return checkFormat(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	s.startCommitter()
	return s, nil
}

// Close writes what Commit has queued and closes the file.
func (s *Store) Close() error {
	s.stopCommitter()
	return s.db.Close()
}

// Path returns the store's file.
func (s *Store) Path() string { return s.path }

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(tx *Tx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// Update runs fn in a read-write transaction, committed (and synced) when
// fn returns nil.
func (s *Store) Update(fn func(tx *Tx) error) error {
	return s.db.Update(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) })
}

// Tx is a store transaction. Its methods keep the indexes and counters in
// step with the records.
type Tx struct {
	tx *bolt.Tx
}

func (t *Tx) bucket(name []byte) *bolt.Bucket { return t.tx.Bucket(name) }
