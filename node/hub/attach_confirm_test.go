package hub

import (
	"bytes"
	"testing"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// TestAttachmentIsDeletedOnceEveryRecipientConfirms: an object for two
// recipients stays whole at the hub after the first confirms it (the
// second still fetches it); a recipient's `done` before it has the whole
// object, or the sender's, deletes nothing; the last recipient's `done`
// deletes its chunks and its record and gives its bytes back to the
// sender's quota.
func TestAttachmentIsDeletedOnceEveryRecipientConfirms(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	ctx := ctxT(t)
	s := n.hub.attach
	up := attachClient(n.connect(t, gh), gh)
	o := newTestObject(t, gh, 3*protocol.AttachChunkSize+77, ml, sn)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	snc, mlc := attachClient(n.connect(t, sn), sn), attachClient(n.connect(t, ml), ml)
	// Nothing uploaded yet: a recipient's confirmation is refused.
	refusedCode(t, snc.Done(ctx, o.object), protocol.AttachIncomplete, "does not have all of object")
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	// The sender's own done changes nothing.
	if err := up.Done(ctx, o.object); err != nil {
		t.Fatal(err)
	}
	chunks := func() int {
		info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(protocol.AttachChunkPrefix(testNetwork, gh, o.object)+".*"))
		if err != nil {
			t.Fatal(err)
		}
		return len(info.State.Subjects)
	}
	if err := snc.Done(ctx, o.object); err != nil {
		t.Fatal(err)
	}
	if c := chunks(); c != 4 {
		t.Fatalf("%d chunks at the hub after the first of two recipients confirmed, want all 4", c)
	}
	if _, used := s.usedBy(gh); used != int64(len(o.data)) {
		t.Fatalf("%s holds %d bytes after the first confirmation, want %d", gh, used, len(o.data))
	}
	var got bytes.Buffer
	if err := mlc.Download(ctx, o.object, &got, int64(len(o.data)), 0, nil); err != nil || !bytes.Equal(got.Bytes(), o.data) {
		t.Fatalf("the second recipient's download after the first confirmed: %v", err)
	}
	if err := mlc.Done(ctx, o.object); err != nil {
		t.Fatal(err)
	}
	if c := chunks(); c != 0 {
		t.Fatalf("%d chunks left once every recipient confirmed", c)
	}
	if _, err := s.kv.Get(ctx, o.object); err == nil {
		t.Fatal("the object's record is left once every recipient confirmed")
	}
	if _, used := s.usedBy(gh); used != 0 {
		t.Fatalf("%s still holds %d bytes once every recipient confirmed", gh, used)
	}
	_, _, err := up.Stat(ctx, o.object)
	refusedCode(t, err, protocol.AttachForbidden, "is not at the hub")
}
