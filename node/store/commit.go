package store

import (
	"errors"
	"sync"

	"github.com/casenode/casenode/node/batch"
	bolt "go.etcd.io/bbolt"
)

// maxGroup bounds the functions of one group commit.
const maxGroup = 1024

// ErrClosed reports a Commit on a closed store.
var ErrClosed = errors.New("store is closed")

// committer runs the functions given to Commit in groups: every function
// queued while the previous transaction was being written goes into the
// next one, so that the node's writers (sending, receiving, the hub's
// acknowledgements) share its syncs. The batching window is the time the
// previous commit took, never a timer.
type committer struct {
	mu     sync.RWMutex // guards closed and sending on queue
	closed bool
	queue  chan *call
	done   chan struct{}
}

type call struct {
	fn  func(tx *Tx) error
	err chan error
}

func (s *Store) startCommitter() {
	s.c = &committer{queue: make(chan *call, maxGroup), done: make(chan struct{})}
	go s.commitLoop()
}

// Commit runs fn in a read-write transaction shared with the other
// functions queued meanwhile, and returns once that transaction is durable,
// or with fn's error, in which case fn's changes are not written (the
// others' are). fn may run more than once, so it must have no effect
// outside the transaction, and must not call Commit or Update.
func (s *Store) Commit(fn func(tx *Tx) error) error {
	if s.shared != nil {
		return s.shared(func(btx *bolt.Tx) error { return fn(s.wrap(btx)) })
	}
	c := &call{fn: fn, err: make(chan error, 1)}
	s.c.mu.RLock()
	if s.c.closed {
		s.c.mu.RUnlock()
		return ErrClosed
	}
	s.c.queue <- c
	s.c.mu.RUnlock()
	return <-c.err
}

func (s *Store) commitLoop() {
	defer close(s.c.done)
	for c := range s.c.queue {
		s.commitGroup(batch.Drain([]*call{c}, s.c.queue, maxGroup))
	}
}

// commitGroup writes a group in one transaction. A function that fails is
// answered with its error and the others run again without it.
func (s *Store) commitGroup(group []*call) {
	for len(group) > 0 {
		failed := -1
		var ferr error
		err := s.db.Update(func(btx *bolt.Tx) error {
			tx := s.wrap(btx)
			for i, c := range group {
				if err := c.fn(tx); err != nil {
					failed, ferr = i, err
					return err
				}
			}
			return nil
		})
		switch {
		case err == nil:
			for _, c := range group {
				c.err <- nil
			}
			return
		case failed >= 0:
			group[failed].err <- ferr
			group = append(group[:failed:failed], group[failed+1:]...)
		default:
			for _, c := range group {
				c.err <- err
			}
			return
		}
	}
}

// stopCommitter writes what is queued and stops the committer.
func (s *Store) stopCommitter() {
	s.c.mu.Lock()
	if s.c.closed {
		s.c.mu.Unlock()
		return
	}
	s.c.closed = true
	close(s.c.queue)
	s.c.mu.Unlock()
	<-s.c.done
}
