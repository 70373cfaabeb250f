package localnet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// TestClusterAttachment: an attachment crosses a three-server hub, whose
// chunk stream has three replicas and answers the hub's reads by direct
// get from any of them (a replica without the chunk yet sends the read to
// the stream's leader): the recipient gets the file with its digest and
// the sender the delivered receipt.
func TestClusterAttachment(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := newCluster(t, ctx)
	file := filepath.Join(t.TempDir(), "evidence.bin")
	data := make([]byte, 3*protocol.AttachChunkSize+12345)
	rand.NewChaCha8([32]byte{7}).Read(data)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	actor := agency.Actor{Via: agency.ViaProcess, Name: "cluster test"}
	r, err := n.Node("a0").Send(ctx, actor, agency.SendRequest{To: []string{"a1"}, Type: protocol.TypeLead, Case: streamCase,
		Body: protocol.SizedLead(512), Attach: []agency.AttachFile{{Path: file}}})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(dumpOnFail{t, ctx, n}, 2*time.Minute, "the message delivered with its attachment", func() bool {
		st, err := n.Node("a0").Status(ctx)
		return err == nil && st.Outbox.Copies[agency.CopyDelivered] == 1
	})
	h := sha256.New()
	m, err := n.Node("a1").AttachmentGet(ctx, actor, r.ID, "evidence.bin", h)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	if got := hex.EncodeToString(h.Sum(nil)); got != hex.EncodeToString(want[:]) || m.Size != int64(len(data)) {
		t.Fatalf("a1 got %d bytes with SHA-256 %s, want %d bytes with %x", m.Size, got, len(data), want)
	}
}
