package auditlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// Defaults of Options.
const (
	DefaultMaxBatch = 2048
	queueLen        = 4096
)

// ErrClosed reports an append to a closed log.
var ErrClosed = errors.New("audit log is closed")

// Options configure a Log.
type Options struct {
	// Card is the agency's own member card. Record 0 of a new log holds it,
	// and its network and agency name the log (Origin). A log opened with a
	// card other than its current one records the new card (a key
	// rotation) before anything else.
	Card *protocol.MemberCard
	// Key is the agency's Ed25519 signing key, matching Card: it signs the
	// checkpoint every commit stores.
	Key ed25519.PrivateKey
	// PreviousKeys are the agency's signing keys before Card's (a key
	// rotation): Open accepts a newest checkpoint signed by one of them, or
	// by Key, and no other.
	PreviousKeys []ed25519.PublicKey
	// HoldUncovered makes Open open a log that holds records no signed
	// checkpoint covers (someone wrote to the file without the key) held,
	// instead of failing with an *UncoveredError: it reads, but takes no
	// record and signs nothing, and Uncovered says why. A node opens its
	// log so, to run and raise the alarm.
	HoldUncovered bool
	// MaxBatch bounds the records of one transaction; zero means
	// DefaultMaxBatch.
	MaxBatch int
	// LockTimeout is how long Open waits for another process's lock on the
	// file; zero means DefaultLockTimeout.
	LockTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Log is an agency's audit log, open for appending. Its methods are safe
// for concurrent use. The embedded Reader reads, iterates and proves.
type Log struct {
	*Reader
	opts   Options
	signer *noteSigner

	mu        sync.RWMutex // guards closed and the sending side of queue
	closed    bool
	queue     chan *Pending
	done      chan struct{} // closed when the committer has stopped
	uncovered *UncoveredError
	oldFormat bool // the file is format version 1: the next commit marks it 2 (committer's)

	st      state                        // owned by the committer
	latest  atomic.Pointer[Checkpoint]   // the newest stored checkpoint
	failed  atomic.Pointer[error]        // set once a write fails: the log takes no more appends
	trouble atomic.Pointer[writeTrouble] // the last write that failed for want of space, until one succeeds
}

// writeTrouble is a write that failed for want of space, which the log
// tries again with the next append.
type writeTrouble struct {
	err   error
	since time.Time
}

// state is what the committer knows of the log between transactions.
type state struct {
	size     int64
	prev     tlog.Hash // leaf hash of the last record
	lastTime int64     // time of the last record, Unix nanoseconds
	frontier frontier
	cp       *Checkpoint // newest signed checkpoint: it covers every record
}

// Open opens or creates the log at path for appending, locking the file
// against other processes. A new log's first record is opts.Card. A log
// whose newest checkpoint, signed by opts.Key or one of opts.PreviousKeys,
// does not cover every record fails with an *UncoveredError (see
// Options.HoldUncovered).
func Open(path string, opts Options) (*Log, error) {
	return open(path, opts, nil)
}

// open is Open; a new log's first commit also holds then, after the card.
func open(path string, opts Options, then []Entry) (*Log, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	origin := Origin(opts.Card.Network, opts.Card.Agency)
	signer, err := newNoteSigner(origin, opts.Key)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	db, err := openDB(path, false, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	l := &Log{
		Reader: &Reader{db: db, path: path, origin: origin},
		opts:   opts,
		signer: signer,
		queue:  make(chan *Pending, queueLen),
		done:   make(chan struct{}),
	}
	var ownCard []byte
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		ownCard, err = l.load(tx)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open audit log %s: %w", path, err)
	}
	if l.st.cp != nil {
		l.latest.Store(l.st.cp)
	}
	if l.uncovered != nil {
		if !opts.HoldUncovered {
			db.Close()
			return nil, l.uncovered
		}
		var err error = l.uncovered
		l.failed.Store(&err)
	}
	go l.run()
	if l.uncovered != nil {
		return l, nil
	}

	card, err := opts.Card.Marshal()
	if err == nil && ownCard == nil && len(then) > 0 {
		entries := append([]Entry{{Type: TypeKey, Actor: opts.Card.Agency, Payload: card}}, then...)
		_, err = l.enqueue(&Pending{entries: entries, ownCard: true}).Wait(context.Background())
	} else if err == nil && !bytes.Equal(card, ownCard) {
		_, err = l.enqueue(&Pending{entries: []Entry{{Type: TypeKey, Actor: opts.Card.Agency, Payload: card}}, ownCard: true}).Wait(context.Background())
	}
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("open audit log %s: record the agency's card: %w", path, err)
	}
	return l, nil
}

// validate checks the options and fills in the defaults.
func (o *Options) validate() error {
	if o.Card == nil {
		return fmt.Errorf("no member card")
	}
	if err := o.Card.Validate(); err != nil {
		return err
	}
	pub, ok := o.Key.Public().(ed25519.PublicKey)
	if len(o.Key) != ed25519.PrivateKeySize || !ok || !pub.Equal(o.Card.PublicKey()) {
		return fmt.Errorf("the signing key is not the key of the member card of %s (kid %s)", o.Card.Agency, o.Card.KeyID())
	}
	for i, k := range o.PreviousKeys {
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("previous key %d: %d bytes, not %d", i, len(k), ed25519.PublicKeySize)
		}
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// load checks an existing log and reads the committer's state from it. It
// returns the log's current own card. A new file is left as it is: the
// first commit creates the buckets together with record 0, so that no
// crash leaves a log without its card.
func (l *Log) load(tx *bolt.Tx) (ownCard []byte, err error) {
	l.st = state{frontier: *newFrontier()}
	if tx.Bucket([]byte(bucketMeta)) == nil {
		return nil, nil
	}
	b, err := readBuckets(tx)
	if err != nil {
		return nil, err
	}
	l.oldFormat = string(b.meta.Get([]byte(metaFormat))) == formatIDV1
	if o := string(b.meta.Get([]byte(metaOrigin))); o != l.origin {
		return nil, fmt.Errorf("the log is %s's, not %s's", o, l.origin)
	}
	n, err := size(b)
	if err != nil {
		return nil, err
	}
	l.st = state{size: n, frontier: *newFrontier()}
	if n == 0 {
		return nil, nil
	}
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("the log is damaged (%s); keep the file as evidence, run 'casenode audit verify' on a copy, and 'casenode audit restart-log' to start a new log", fmt.Sprintf(format, args...))
	}
	last, err := decodeRecord(b.records.Get(itob(n - 1)))
	if err != nil || last.Seq != n-1 {
		return nil, damaged("last record %d: %v", n-1, err)
	}
	l.st.prev, l.st.lastTime = last.Hash(), last.Time.UnixNano()
	if k, _ := b.hashes.Cursor().Last(); k == nil || !bytes.Equal(k, itob(tlog.StoredHashCount(n)-1)) {
		return nil, damaged("%d records, but the tree hashes do not match that size", n)
	}
	f, err := loadFrontier(n, bucketHashReader(b.hashes))
	if err != nil {
		return nil, damaged("%v", err)
	}
	l.st.frontier = *f
	if leaf, err := bucketHashReader(b.hashes)([]int64{tlog.StoredHashIndex(0, n-1)}); err != nil || leaf[0] != l.st.prev {
		return nil, damaged("the last record %d is not the one its tree hash names", n-1)
	}
	cp, err := l.newestCheckpoint(b, n)
	if err != nil {
		return nil, damaged("%v", err)
	}
	l.st.cp = cp
	if cp == nil || cp.Size < n {
		l.uncovered = &UncoveredError{Path: l.path, Records: n, Checkpoint: cp}
	}
	if is, _, ok := signingIntent(b); ok && is > n {
		return nil, damaged("it has %d records but was about to sign %d: it was truncated or restored from a backup", n, is)
	}
	if v := b.meta.Get([]byte(metaOwnCard)); v != nil {
		ownCard = b.payloads.Get(v)
	}
	return append([]byte(nil), ownCard...), nil
}

// err returns the failure that stopped the log, if any.
func (l *Log) err() error {
	if p := l.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// ErrNoSpace reports an append that failed because the disk (or the
// user's quota) is full. Nothing of it was written and the log goes on:
// the next append tries again.
var ErrNoSpace = errors.New("no space left for the audit log")

// noSpace reports whether err says that the file system is full.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// failWrite handles a write transaction that failed and was rolled back:
// for want of space, the log notes it and goes on, so that the next
// append tries again; any other failure stops the log. It returns the
// error for the waiters.
func (l *Log) failWrite(err error) error {
	if noSpace(err) {
		if l.trouble.Load() == nil {
			l.trouble.Store(&writeTrouble{err: err, since: l.opts.Now()})
		}
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	l.fail(err)
	return l.err()
}

// WriteError returns since when and why the log cannot write: the failure
// that stopped it (with a zero time), or a lack of space that the next
// append tries again. It returns a nil error once a write succeeds.
func (l *Log) WriteError() (since time.Time, err error) {
	if err := l.err(); err != nil {
		return time.Time{}, err
	}
	if t := l.trouble.Load(); t != nil {
		return t.since, fmt.Errorf("%w: %w", ErrNoSpace, t.err)
	}
	return time.Time{}, nil
}

// fail stops the log after a failed write.
func (l *Log) fail(err error) {
	err = fmt.Errorf("audit log failed, it takes no more records: %w", err)
	l.failed.CompareAndSwap(nil, &err)
}

// Checkpoint waits until every record appended before it was called is
// durable and returns the newest checkpoint, which covers them all: every
// commit signs one.
func (l *Log) Checkpoint() (*Checkpoint, error) {
	if err := l.Flush(context.Background()); err != nil {
		return nil, err
	}
	return l.latest.Load(), nil
}

// Uncovered returns, for a log Open held (Options.HoldUncovered), why: the
// records no signed checkpoint covers. It returns nil for a log that
// takes records.
func (l *Log) Uncovered() *UncoveredError { return l.uncovered }

// LatestCheckpoint returns the newest checkpoint the log signed, or nil.
func (l *Log) LatestCheckpoint() *Checkpoint { return l.latest.Load() }

// Close appends what is queued and closes the file. (A log Open held
// closes without error: Uncovered said why at open.) It returns the failure that stopped the log, if any.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return nil
	}
	l.closed = true
	close(l.queue)
	l.mu.Unlock()
	<-l.done
	errClose := l.db.Close()
	if err := l.err(); err != nil && l.uncovered == nil {
		return err
	}
	if errClose != nil {
		return fmt.Errorf("close audit log: %w", errClose)
	}
	return nil
}
