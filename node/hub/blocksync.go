package hub

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/casenode/casenode/internal/durable"
)

// blockSyncer makes a JetStream file-store stream durable on demand: it
// fsyncs the stream's message block files that may hold messages
// written since its last sync, and the block directory when a block was
// created. JetStream appends messages only to its newest block and writes
// each one to the file before it acknowledges it (a single-server stream
// flushes in place), so a sync that starts after an acknowledgement makes
// that message durable.
type blockSyncer struct {
	dir string

	// mu serializes sync and close: a service's last request may still
	// be syncing when the hub closes the service.
	mu sync.Mutex
	// from is the newest block index at the last sync: messages written
	// since then are in it or in newer blocks.
	from   int
	files  map[int]*os.File
	seen   map[int]bool
	closed bool
}

// newBlockSyncer finds the message block directory of stream under the
// server's store directory.
func newBlockSyncer(storeDir, stream string) (*blockSyncer, error) {
	matches, err := filepath.Glob(filepath.Join(storeDir, "jetstream", "*", "streams", stream, "msgs"))
	if err != nil {
		return nil, err
	}
	if len(matches) != 1 {
		return nil, fmt.Errorf("find the files of stream %s under %s: %d matches, want 1", stream, storeDir, len(matches))
	}
	s := &blockSyncer{dir: matches[0], files: map[int]*os.File{}, seen: map[int]bool{}}
	blocks, err := s.blocks()
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		s.seen[b] = true
		s.from = max(s.from, b)
	}
	return s, nil
}

// blocks lists the indexes of the block files.
func (s *blockSyncer) blocks() ([]int, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list stream blocks: %w", err)
	}
	var out []int
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".blk")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(name); err == nil && i >= 0 {
			out = append(out, i)
		}
	}
	return out, nil
}

// sync makes every message written before it started durable.
func (s *blockSyncer) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("sync stream blocks: the hub is stopping")
	}
	blocks, err := s.blocks()
	if err != nil {
		return err
	}
	newest, created := s.from, false
	for _, b := range blocks {
		if b < s.from {
			continue
		}
		newest = max(newest, b)
		if !s.seen[b] {
			s.seen[b], created = true, true
		}
		f := s.files[b]
		if f == nil {
			if f, err = os.Open(filepath.Join(s.dir, strconv.Itoa(b)+".blk")); err != nil {
				if os.IsNotExist(err) {
					continue // removed since: nothing of it to keep
				}
				return fmt.Errorf("open stream block: %w", err)
			}
			s.files[b] = f
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync stream block %s: %w", f.Name(), err)
		}
	}
	if created {
		if err := durable.SyncDir(s.dir); err != nil {
			return fmt.Errorf("sync stream block directory: %w", err)
		}
	}
	for b, f := range s.files {
		if b < newest {
			f.Close()
			delete(s.files, b)
		}
	}
	for b := range s.seen {
		if b < newest {
			delete(s.seen, b)
		}
	}
	s.from = newest
	return nil
}

// close releases the open block files.
func (s *blockSyncer) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for b, f := range s.files {
		f.Close()
		delete(s.files, b)
	}
}
