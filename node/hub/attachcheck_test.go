package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// chunkSubjects lists the chunk subjects of the stream under filter.
func chunkSubjects(t *testing.T, s *attachService, filter string) map[string]uint64 {
	t.Helper()
	info, err := s.stream.Info(ctxT(t), jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects
}

// publishChunk publishes data on subj from c as an owner does and returns
// the stream's answer.
func publishChunk(t *testing.T, c *agencyConn, subj string, data []byte) string {
	t.Helper()
	m := nats.NewMsg(subj)
	m.Data = data
	ctx, cancel := context.WithTimeout(ctxT(t), 5*time.Second)
	defer cancel()
	ans, err := c.nc.RequestMsgWithContext(ctx, m)
	if err != nil {
		t.Fatalf("publish on %s: %v", subj, err)
	}
	return string(ans.Data)
}

func TestAttachmentOwnerPublishesItsChunksOnce(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	ghc := n.connect(t, gh)
	up := attachClient(ghc, gh)
	o := newTestObject(t, gh, 3*protocol.AttachChunkSize+1000, sn)
	ctx := ctxT(t)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	s := n.hub.attach
	// The chunks went into the stream on the owner's subjects, not
	// through the service.
	prefix := protocol.AttachChunkPrefix(testNetwork, gh, o.object)
	if got := chunkSubjects(t, s, prefix+".*"); len(got) != 4 {
		t.Fatalf("the stream holds %v, want the object's 4 chunks on %s.*", got, prefix)
	}
	if got := up.Chunks.Load(); got != 4 {
		t.Fatalf("%d chunks sent, want 4", got)
	}
	// The service stored none itself: what it counted for its syncs is
	// the owner's two stats, before and after the upload.
	if w := s.written.Load(); w != 2 {
		t.Fatalf("the service counted %d chunks and stats to sync, want the 2 stats", w)
	}
	// The recipient's chunks come from the stream on its delivery
	// subjects, which another member cannot listen to.
	mlc := n.connect(t, ml)
	spy, err := mlc.nc.SubscribeSync(protocol.AttachDeliverFilter(testNetwork, sn))
	if err != nil {
		t.Fatal(err)
	}
	mlc.nc.Flush()
	mlc.waitError(t, "Permissions Violation", "Subscription", protocol.AttachDeliverFilter(testNetwork, sn))
	down := attachClient(n.connect(t, sn), sn)
	// As a node does, it asks first: the hub says it delivers chunks.
	if _, _, err := down.Stat(ctx, o.object); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := down.Download(ctx, o.object, &got, int64(len(o.data)), 0, nil); err != nil || !bytes.Equal(got.Bytes(), o.data) {
		t.Fatalf("download: %v, %d bytes", err, got.Len())
	}
	if d := down.Delivered.Load(); d != 4 {
		t.Fatalf("%d chunks delivered by the stream, want the 4", d)
	}
	if m, err := spy.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatalf("another member received %s", m.Subject)
	}

	// The stream refuses a chunk stored again, with or without the
	// header asking it to: the first stays.
	other := bytes.Repeat([]byte{7}, protocol.AttachChunkSize)
	if ans := publishChunk(t, ghc, prefix+".0", other); !strings.Contains(ans, `"error"`) {
		t.Fatalf("chunk 0 stored again: %s", ans)
	}
	if got := chunkSubjects(t, s, prefix+".0"); got[prefix+".0"] != 1 {
		t.Fatalf("chunk 0 is %d messages, want 1", got[prefix+".0"])
	}
	m, err := s.stream.GetLastMsgForSubject(ctx, prefix+".0")
	if err != nil || !bytes.Equal(m.Data, o.data[:protocol.AttachChunkSize]) {
		t.Fatalf("chunk 0 is no longer the first stored: %v", err)
	}

	// Another member cannot publish on the owner's chunk subjects.
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := mlc.nc.PublishMsg(&nats.Msg{Subject: prefix + ".3", Data: other}); err != nil {
		t.Fatal(err)
	}
	mlc.nc.FlushWithContext(short)
	mlc.waitError(t, "Permissions Violation", prefix+".3")
	m, err = s.stream.GetLastMsgForSubject(ctx, prefix+".3")
	if err != nil || !bytes.Equal(m.Data, o.data[3*protocol.AttachChunkSize:]) {
		t.Fatalf("chunk 3 is not the owner's: %v", err)
	}
}

func TestAttachmentSweepDeletesChunksNoObjectHas(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	ghc := n.connect(t, gh)
	up := attachClient(ghc, gh)
	o := newTestObject(t, gh, 2*protocol.AttachChunkSize, sn)
	ctx := ctxT(t)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	// The sweep is the guard's backstop, for what was stored while the
	// hub did not follow the stream.
	n.hub.attach.guard.stop()
	// A member stores chunks beyond its declarations: of an object it
	// never declared, and past the end of the one it did.
	undeclared := newTestObject(t, gh, 1000, sn)
	chunk := bytes.Repeat([]byte{1}, 1000)
	for _, subj := range []string{
		protocol.AttachChunkSubject(testNetwork, gh, undeclared.object, 0),
		protocol.AttachChunkSubject(testNetwork, gh, o.object, 2),
	} {
		var ack struct {
			Seq uint64 `json:"seq"`
		}
		if ans := publishChunk(t, ghc, subj, chunk); json.Unmarshal([]byte(ans), &ack) != nil || ack.Seq == 0 {
			t.Fatalf("publish on %s: %s", subj, ans)
		}
	}
	s := n.hub.attach
	refused, _ := s.counts.get(gh)
	if err := s.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got := chunkSubjects(t, s, "casenet."+testNetwork+".attdata.>")
	want := []string{protocol.AttachChunkSubject(testNetwork, gh, o.object, 0), protocol.AttachChunkSubject(testNetwork, gh, o.object, 1)}
	if len(got) != len(want) || got[want[0]] != 1 || got[want[1]] != 1 {
		t.Fatalf("after the sweep the stream holds %v, want only %v", got, want)
	}
	if after, _ := s.counts.get(gh); after != refused+2 {
		t.Fatalf("%d refusals counted against %s, want %d", after, gh, refused+2)
	}
}

func TestAttachmentObjectsOfTheEarlierLayoutStayReadable(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	s := n.hub.attach
	ctx := ctxT(t)
	o := newTestObject(t, gh, protocol.AttachChunkSize+10, sn)
	// Stored as a hub before the owners published their chunks stored
	// it: a record without a layout, the chunks under the object alone.
	r := &attachRecord{Owner: gh, Message: o.decl.Message, To: o.decl.To, CipherSize: o.decl.CipherSize, CipherSHA256: o.decl.CipherSHA256, Created: time.Now().UTC()}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.kv.Create(ctx, o.object, b); err != nil {
		t.Fatal(err)
	}
	up := attachClient(n.connect(t, gh), gh)
	// The owner is not told to publish its chunks: it puts them.
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	if got := chunkSubjects(t, s, "casenet."+testNetwork+".attdata."+o.object+".*"); len(got) != 2 {
		t.Fatalf("the earlier layout's subjects hold %v, want 2 chunks", got)
	}
	var got bytes.Buffer
	if err := attachClient(n.connect(t, sn), sn).Download(ctx, o.object, &got, int64(len(o.data)), 0, nil); err != nil || !bytes.Equal(got.Bytes(), o.data) {
		t.Fatalf("download of an object of the earlier layout: %v, %d bytes", err, got.Len())
	}
}
