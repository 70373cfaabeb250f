package hub

import (
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
)

// syncedCount returns how many acknowledgements the chunk stream's last
// sync covered.
func (s *attachService) syncedCount() uint64 {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	return s.synced
}

// The chunks an owner publishes are synced while they come, in the
// background, not all at the stat that ends the upload: the stream is
// synced once the guard saw syncEvery bytes stored, with no stat asked.
func TestAttachmentChunksAreSyncedWhileTheyCome(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	s := n.hub.attach
	if s.syncer == nil {
		t.Fatal("the test hub does not sync its chunk stream itself")
	}
	ghc := n.connect(t, gh)
	up := attachClient(ghc, gh)
	ctx := ctxT(t)
	chunks := int64(syncEvery/protocol.AttachChunkSize + 2)
	o := newTestObject(t, gh, int(chunks*protocol.AttachChunkSize), sn)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	before := s.syncedCount()
	for i := range chunks {
		storeRaw(t, ghc, protocol.AttachChunkSubject(testNetwork, gh, o.object, i), o.data[i*protocol.AttachChunkSize:(i+1)*protocol.AttachChunkSize])
	}
	poll.Until(t, 30*time.Second, "a sync of the chunk stream without a stat", func() bool { return s.syncedCount() > before })
}
