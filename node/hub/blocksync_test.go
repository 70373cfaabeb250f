package hub

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// blockDir creates the message block directory of stream S in account
// acct under store, as the JetStream file store lays it out.
func blockDir(t *testing.T, store, acct string) string {
	t.Helper()
	dir := filepath.Join(store, "jetstream", acct, "streams", "S", "msgs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeBlock(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("block "+name), 0o600); err != nil {
		t.Fatal(err)
	}
}

// openBlocks lists the blocks the syncer holds open.
func openBlocks(s *blockSyncer) []int {
	var out []int
	for b := range s.files {
		out = append(out, b)
	}
	slices.Sort(out)
	return out
}

func TestBlockSyncerFollowsNewBlocks(t *testing.T) {
	store := t.TempDir()
	dir := blockDir(t, store, "$G")
	writeBlock(t, dir, "1.blk")
	writeBlock(t, dir, "index.db")
	writeBlock(t, dir, "tmp.blk") // not a block index
	// Another stream beside it, with a newer block.
	other := filepath.Join(store, "jetstream", "$G", "streams", "S2", "msgs")
	if err := os.MkdirAll(other, 0o700); err != nil {
		t.Fatal(err)
	}
	writeBlock(t, other, "9.blk")

	s, err := newBlockSyncer(store, "S")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	if s.dir != dir || s.from != 1 || len(s.files) != 0 {
		t.Fatalf("syncer at %s from block %d with %d open files, want %s from block 1 with none", s.dir, s.from, len(s.files), dir)
	}

	writeBlock(t, dir, "2.blk")
	writeBlock(t, dir, "3.blk")
	if err := s.sync(); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if got := openBlocks(s); s.from != 3 || !slices.Equal(got, []int{3}) {
		t.Fatalf("after sync: from block %d, open blocks %v; want from 3 with only 3 open", s.from, got)
	}
	if name := s.files[3].Name(); name != filepath.Join(dir, "3.blk") {
		t.Fatalf("block 3 open as %s", name)
	}
	if !s.seen[3] || len(s.seen) != 1 {
		t.Fatalf("seen blocks %v, want only 3", s.seen)
	}

	// A sync with no new block keeps the newest block open.
	if err := s.sync(); err != nil {
		t.Fatalf("sync without new blocks: %v", err)
	}
	if got := openBlocks(s); s.from != 3 || !slices.Equal(got, []int{3}) {
		t.Fatalf("after an idle sync: from block %d, open blocks %v; want from 3 with only 3 open", s.from, got)
	}
}

func TestBlockSyncerToleratesRemovedBlocks(t *testing.T) {
	store := t.TempDir()
	dir := blockDir(t, store, "$G")
	writeBlock(t, dir, "1.blk")
	writeBlock(t, dir, "2.blk")
	s, err := newBlockSyncer(store, "S")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	if got := openBlocks(s); s.from != 2 || !slices.Equal(got, []int{2}) {
		t.Fatalf("from block %d, open blocks %v; want from 2 with only 2 open", s.from, got)
	}

	// The open block is removed (the stream compacted it away).
	if err := os.Remove(filepath.Join(dir, "2.blk")); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatalf("sync after the open block was removed: %v", err)
	}
	// A newer block appears, and the removed one is let go.
	writeBlock(t, dir, "3.blk")
	if err := s.sync(); err != nil {
		t.Fatalf("sync after a new block: %v", err)
	}
	if got := openBlocks(s); s.from != 3 || !slices.Equal(got, []int{3}) {
		t.Fatalf("from block %d, open blocks %v; want from 3 with only 3 open", s.from, got)
	}

	// A block listed and gone before it is opened (a dangling link stands
	// for it) holds nothing to keep.
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "5.blk")); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatalf("sync of a block removed before it was opened: %v", err)
	}
	if s.files[5] != nil {
		t.Fatal("the vanished block 5 is open")
	}
	if err := os.Remove(filepath.Join(dir, "5.blk")); err != nil {
		t.Fatal(err)
	}

	// Every block is removed: nothing to sync, nothing lost.
	if err := os.Remove(filepath.Join(dir, "3.blk")); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatalf("sync of an empty block directory: %v", err)
	}
	writeBlock(t, dir, "6.blk")
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	if got := openBlocks(s); s.from != 6 || !slices.Equal(got, []int{6}) {
		t.Fatalf("from block %d, open blocks %v; want from 6 with only 6 open", s.from, got)
	}
}

func TestBlockSyncerStartsOnEmptyStream(t *testing.T) {
	store := t.TempDir()
	dir := blockDir(t, store, "$G")
	s, err := newBlockSyncer(store, "S")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	if s.from != 0 {
		t.Fatalf("from block %d in an empty directory, want 0", s.from)
	}
	if err := s.sync(); err != nil {
		t.Fatalf("sync of an empty stream: %v", err)
	}
	writeBlock(t, dir, "1.blk")
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	if got := openBlocks(s); s.from != 1 || !slices.Equal(got, []int{1}) {
		t.Fatalf("from block %d, open blocks %v; want from 1 with only 1 open", s.from, got)
	}
}

func TestBlockSyncerFailsWhenTheDirectoryGoes(t *testing.T) {
	store := t.TempDir()
	dir := blockDir(t, store, "$G")
	writeBlock(t, dir, "1.blk")
	s, err := newBlockSyncer(store, "S")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err == nil || !strings.Contains(err.Error(), "list stream blocks") {
		t.Fatalf("sync of a missing directory: %v, want list stream blocks: …", err)
	}
	if err := os.Rename(dir+".away", dir); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatalf("sync once the directory is back: %v", err)
	}
	if got := openBlocks(s); s.from != 1 || !slices.Equal(got, []int{1}) {
		t.Fatalf("from block %d, open blocks %v; want from 1 with only 1 open", s.from, got)
	}
}

func TestNewBlockSyncerNeedsExactlyOneStream(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		store := t.TempDir()
		blockDir(t, store, "$G") // stream S exists, T does not
		_, err := newBlockSyncer(store, "T")
		if err == nil || !containsAll(err.Error(), []string{"stream T", store, "0 matches"}) {
			t.Fatalf("newBlockSyncer without the stream: %v", err)
		}
	})
	t.Run("no store", func(t *testing.T) {
		store := filepath.Join(t.TempDir(), "absent")
		if _, err := newBlockSyncer(store, "S"); err == nil || !strings.Contains(err.Error(), "0 matches") {
			t.Fatalf("newBlockSyncer without a store: %v", err)
		}
	})
	t.Run("two accounts", func(t *testing.T) {
		store := t.TempDir()
		writeBlock(t, blockDir(t, store, "$G"), "1.blk")
		writeBlock(t, blockDir(t, store, "ACME"), "1.blk")
		_, err := newBlockSyncer(store, "S")
		if err == nil || !containsAll(err.Error(), []string{"stream S", "2 matches"}) {
			t.Fatalf("newBlockSyncer with the stream in two accounts: %v", err)
		}
	})
}

// TestBlockSyncerCloseWhileSyncing: the hub closes a service's syncer
// while the service's last request may still sync (a data race -race
// reported in CI); a sync after close fails and opens nothing.
func TestBlockSyncerCloseWhileSyncing(t *testing.T) {
	store := t.TempDir()
	dir := blockDir(t, store, "$G")
	writeBlock(t, dir, "1.blk")
	s, err := newBlockSyncer(store, "S")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var err error
		for range 200 {
			if err = s.sync(); err != nil {
				break
			}
		}
		done <- err
	}()
	s.close()
	<-done
	if err := s.sync(); err == nil || !strings.Contains(err.Error(), "stopping") {
		t.Fatalf("sync after close: %v, want an error saying the hub is stopping", err)
	}
	if got := openBlocks(s); len(got) != 0 {
		t.Fatalf("blocks open after close: %v", got)
	}
}
