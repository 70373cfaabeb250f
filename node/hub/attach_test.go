package hub

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/attach"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// testObject is a ciphertext declared by from for message id to to.
type testObject struct {
	object string
	data   []byte
	decl   *protocol.AttachNewRequest
}

func newTestObject(t testing.TB, from string, size int, to ...string) *testObject {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	sum := sha256.Sum256(data)
	id := protocol.NewMessageID(time.Now())
	return &testObject{object: protocol.AttachmentObject(from, id, 0), data: data,
		decl: &protocol.AttachNewRequest{CipherSHA256: hex.EncodeToString(sum[:]), CipherSize: int64(size), Message: id, To: to}}
}

func attachClient(c *agencyConn, agency string) *attach.Client {
	return attach.New(c.nc, testNetwork, agency, attach.Options{InFlight: 4, Timeout: 5 * time.Second, Backoff: 10 * time.Millisecond})
}

func refusedCode(t *testing.T, err error, code string, want ...string) {
	t.Helper()
	var se *attach.ServiceError
	if !errors.As(err, &se) || se.Code != code || !containsAll(se.Msg, want) {
		t.Fatalf("got %v, want the hub's refusal %s saying %q", err, code, want)
	}
}

func TestAttachmentUploadResumesAndOnlyRecipientsFetch(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	up := attachClient(n.connect(t, gh), gh)
	o := newTestObject(t, gh, 3*protocol.AttachChunkSize+1000, sn)
	ctx := ctxT(t)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	// The first upload stops after two chunks: the hub keeps them.
	for i := range int64(2) {
		if err := up.Upload(ctx, o.object, &prefixReader{data: o.data, limit: (i + 1) * protocol.AttachChunkSize}, int64(len(o.data)), nil); err == nil {
			t.Fatal("an upload of a truncated file succeeded")
		}
	}
	if got := up.Chunks.Load(); got != 2 {
		t.Fatalf("%d chunks sent before the cut, want 2", got)
	}
	_, have, err := up.Stat(ctx, o.object)
	if err != nil || have.Count() != 2 || !have.Has(0) || !have.Has(1) {
		t.Fatalf("stat after the cut: %v %v", have, err)
	}
	up.Chunks.Store(0)
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	if got := up.Chunks.Load(); got != 2 {
		t.Fatalf("the resumed upload sent %d chunks, want the 2 the hub did not have", got)
	}

	// The recipient gets it whole; the other member is refused by the hub,
	// and asking as someone else is refused by the server.
	down := attachClient(n.connect(t, sn), sn)
	var got bytes.Buffer
	if err := down.Download(ctx, o.object, &got, int64(len(o.data)), 0, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), o.data) {
		t.Fatal("downloaded bytes differ")
	}
	mlc := n.connect(t, ml)
	err = attachClient(mlc, ml).Download(ctx, o.object, &got, int64(len(o.data)), 0, nil)
	refusedCode(t, err, protocol.AttachForbidden, "is not at the hub for agency")
	_, _, err = attachClient(mlc, ml).Stat(ctx, o.object)
	refusedCode(t, err, protocol.AttachForbidden)
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = mlc.nc.RequestWithContext(short, protocol.AttachRequestSubject(testNetwork, sn, protocol.AttachGet, o.object, 0), nil)
	if err == nil {
		t.Fatal("a request on another agency's attachment subject was answered")
	}
	mlc.waitError(t, "Permissions Violation", "casenet.wacap.att.sn-pj-dakar.get")

	// Once the only recipient confirms, the hub deletes the object.
	if err := down.Done(ctx, o.object); err != nil {
		t.Fatal(err)
	}
	_, _, err = up.Stat(ctx, o.object)
	refusedCode(t, err, protocol.AttachForbidden)
	if _, used := n.hub.attach.usedBy(gh); used != 0 {
		t.Fatalf("%s still holds %d bytes after the deletion", gh, used)
	}
}

// prefixReader is a file of which only the first limit bytes can be read:
// an upload reading it fails past them, as if the node died there.
type prefixReader struct {
	data  []byte
	limit int64
}

func (p *prefixReader) ReadAt(b []byte, off int64) (int, error) {
	if off+int64(len(b)) > p.limit {
		return 0, errors.New("cut")
	}
	return copy(b, p.data[off:]), nil
}

func TestAttachmentTamperedChunkIsDetected(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	up := attachClient(n.connect(t, gh), gh)
	o := newTestObject(t, gh, 2*protocol.AttachChunkSize, sn)
	ctx := ctxT(t)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	// Flip one byte of chunk 1 in the stream, through the hub's own
	// connection, keeping its recorded digest.
	s := n.hub.attach
	subj := protocol.AttachChunkSubject(testNetwork, gh, o.object, 1)
	m, err := s.stream.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.stream.DeleteMsg(ctx, m.Sequence); err != nil {
		t.Fatal(err)
	}
	bad := nats.NewMsg(subj)
	bad.Data = bytes.Clone(m.Data)
	bad.Data[1000] ^= 1
	bad.Header.Set(protocol.AttachChunkHeader, m.Header.Get(protocol.AttachChunkHeader))
	if _, err := s.js.PublishMsg(ctx, bad); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	err = attachClient(n.connect(t, sn), sn).Download(ctx, o.object, &got, int64(len(o.data)), 0, nil)
	var ce *attach.ChunkError
	if !errors.As(err, &ce) || ce.Chunk != 1 || ce.Object != o.object {
		t.Fatalf("got %v, want a bad chunk 1 of %s", err, o.object)
	}
	if got.Len() != protocol.AttachChunkSize {
		t.Fatalf("%d bytes written, want only the good first chunk", got.Len())
	}
}

func TestAttachmentLimitsAreRefusedBeforeUpload(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	n.hub.Close()
	cfg, err := config.LoadHub(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.StoreDir = "jetstream"
	cfg.MaxAttachmentSize = 1 << 20
	cfg.MemberLimits.AttachmentBytes = 3 << 19
	data, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.dir, config.HubFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n.start(t)
	c := attachClient(n.connect(t, gh), gh)
	ctx := ctxT(t)
	big := newTestObject(t, gh, 1<<20+1, sn)
	refusedCode(t, c.Declare(ctx, big.object, big.decl), protocol.AttachLimit, "max_attachment_size", "1048576")
	first := newTestObject(t, gh, 1<<20, sn)
	if err := c.Declare(ctx, first.object, first.decl); err != nil {
		t.Fatal(err)
	}
	second := newTestObject(t, gh, 1<<20, sn)
	refusedCode(t, c.Declare(ctx, second.object, second.decl), protocol.AttachLimit, "member_limits.attachment_bytes", gh)
	// Nothing of either refused object can be uploaded.
	err = c.Upload(ctx, second.object, bytes.NewReader(second.data), int64(len(second.data)), nil)
	refusedCode(t, err, protocol.AttachForbidden)
}

func TestAttachmentDeclarationIsBoundToItsOwner(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	ctx := ctxT(t)
	o := newTestObject(t, gh, 1000, sn)
	// sn cannot declare the object of gh's message: its id is derived from
	// the sender and the message.
	err := attachClient(n.connect(t, sn), sn).Declare(ctx, o.object, &protocol.AttachNewRequest{CipherSHA256: o.decl.CipherSHA256,
		CipherSize: 1000, Message: o.decl.Message, To: []string{gh}})
	refusedCode(t, err, protocol.AttachInvalid, "is not attachment 0 of message")
	up := attachClient(n.connect(t, gh), gh)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatalf("declaring again with the same values: %v", err)
	}
	other := *o.decl
	other.CipherSize++
	refusedCode(t, up.Declare(ctx, o.object, &other), protocol.AttachConflict)
	// A chunk with the wrong length or digest is refused.
	m := nats.NewMsg(protocol.AttachRequestSubject(testNetwork, gh, protocol.AttachPut, o.object, 0))
	m.Data = o.data
	m.Header.Set(protocol.AttachChunkHeader, strings.Repeat("0", 64))
	ans, err := n.connect(t, gh).nc.RequestMsg(m, 5*time.Second)
	if err != nil || ans.Header.Get(protocol.AttachStatusHeader) != protocol.AttachInvalid {
		t.Fatalf("a chunk with a wrong digest: %v %v", ans, err)
	}
}

// TestAttachmentChunkIsStoredOnce: a chunk the hub has is not stored
// again, whether sent again with the same bytes (answered ok: a resumed
// upload's chunk in flight at the cut) or with other bytes (refused); the
// stream holds the first one, once.
func TestAttachmentChunkIsStoredOnce(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	ctx := ctxT(t)
	o := newTestObject(t, gh, 2*protocol.AttachChunkSize, sn)
	c := n.connect(t, gh)
	if err := attachClient(c, gh).Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	put := func(data []byte) *nats.Msg {
		t.Helper()
		m := nats.NewMsg(protocol.AttachRequestSubject(testNetwork, gh, protocol.AttachPut, o.object, 0))
		m.Data = data
		sum := sha256.Sum256(data)
		m.Header.Set(protocol.AttachChunkHeader, hex.EncodeToString(sum[:]))
		ans, err := c.nc.RequestMsg(m, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return ans
	}
	first := o.data[:protocol.AttachChunkSize]
	for i := range 2 {
		if ans := put(first); ans.Header.Get(protocol.AttachStatusHeader) != protocol.AttachOK {
			t.Fatalf("put %d of chunk 0: %s %s", i+1, ans.Header.Get(protocol.AttachStatusHeader), ans.Header.Get(protocol.AttachErrorHeader))
		}
	}
	other := bytes.Clone(first)
	other[7] ^= 1
	ans := put(other)
	if st, msg := ans.Header.Get(protocol.AttachStatusHeader), ans.Header.Get(protocol.AttachErrorHeader); st != protocol.AttachConflict || !strings.Contains(msg, "stored with another digest") {
		t.Fatalf("another chunk 0: %s %q, want %s", st, msg, protocol.AttachConflict)
	}
	info, err := n.hub.attach.stream.Info(ctx, jetstream.WithSubjectFilter(protocol.AttachChunkPrefix(testNetwork, gh, o.object)+".*"))
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 || info.State.LastSeq != info.State.FirstSeq {
		t.Fatalf("the stream holds %d messages (sequences %d to %d), want chunk 0 once", info.State.Msgs, info.State.FirstSeq, info.State.LastSeq)
	}
	data, digest, found, err := n.hub.attach.readChunk(ctx, protocol.AttachChunkSubject(testNetwork, gh, o.object, 0))
	sum := sha256.Sum256(first)
	if err != nil || !found || !bytes.Equal(data, first) || digest != hex.EncodeToString(sum[:]) {
		t.Fatalf("the stored chunk 0 is not the first one put (found %v, %v)", found, err)
	}
	// Only the service reads the stream: a recipient asking JetStream for
	// the chunk itself is stopped by the server.
	down := n.connect(t, sn)
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	direct := "$JS.API.DIRECT.GET." + attachStreamName(testNetwork) + "." + protocol.AttachChunkSubject(testNetwork, gh, o.object, 0)
	if ans, err := down.nc.RequestWithContext(short, direct, nil); err == nil && len(ans.Data) > 0 {
		t.Fatal("a member read a chunk by direct get")
	}
	down.waitError(t, "Permissions Violation", direct)
}

func TestAttachmentChunksSurviveAHubRestart(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	ctx := ctxT(t)
	o := newTestObject(t, gh, 3*protocol.AttachChunkSize, sn)
	up := attachClient(n.connect(t, gh), gh)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	if err := up.Upload(ctx, o.object, &prefixReader{data: o.data, limit: 2 * protocol.AttachChunkSize}, int64(len(o.data)), nil); err == nil {
		t.Fatal("a cut upload succeeded")
	}
	n.hub.Close()
	n.start(t)
	up = attachClient(n.connect(t, gh), gh)
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	if got := up.Chunks.Load(); got != 1 {
		t.Fatalf("after the hub's restart %d chunks were sent, want 1", got)
	}
	if _, used := n.hub.attach.usedBy(gh); used != int64(len(o.data)) {
		t.Fatalf("the restarted hub counts %d bytes for %s, want %d", used, gh, len(o.data))
	}
	poll.Until(t, 5*time.Second, "the record", func() bool {
		_, err := n.hub.attach.kv.Get(ctx, o.object)
		return err == nil || !errors.Is(err, jetstream.ErrKeyNotFound)
	})
}

func TestAttachmentWatchTellsRecipientsAndFollowFetchesWhileUploading(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	ctx := ctxT(t)
	down := attachClient(n.connect(t, sn), sn)
	other := attachClient(n.connect(t, ml), ml)
	// The recipient's watch is held until the declaration.
	type watchAnswer struct {
		r   *protocol.AttachWatchReply
		err error
	}
	first := make(chan watchAnswer, 1)
	go func() {
		r, err := down.Watch(ctx, 0)
		first <- watchAnswer{r, err}
	}()
	otherAns := make(chan watchAnswer, 1)
	go func() {
		r, err := other.Watch(ctx, 0)
		otherAns <- watchAnswer{r, err}
	}()
	poll.Until(t, 10*time.Second, "both watches held", func() bool {
		n.hub.attach.watch.mu.Lock()
		defer n.hub.attach.watch.mu.Unlock()
		return len(n.hub.attach.watch.waiting[sn]) == 1 && len(n.hub.attach.watch.waiting[ml]) == 1
	})
	up := attachClient(n.connect(t, gh), gh)
	o := newTestObject(t, gh, 6*protocol.AttachChunkSize+77, sn)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	var got watchAnswer
	select {
	case got = <-first:
	case <-time.After(15 * time.Second):
		t.Fatal("the recipient's watch was not answered after the declaration")
	}
	if got.err != nil || len(got.r.Objects) != 1 || got.r.Objects[0].Object != o.object || got.r.Objects[0].Owner != gh ||
		got.r.Objects[0].CipherSize != o.decl.CipherSize || got.r.Objects[0].Message != o.decl.Message {
		t.Fatalf("watch answer %+v %v", got.r, got.err)
	}
	// Asked again after that answer, with nothing new, the watch is held
	// again; from zero, it is told again.
	again, err := down.Watch(ctx, 0)
	if err != nil || len(again.Objects) != 1 {
		t.Fatalf("watch from 0: %+v %v", again, err)
	}
	select {
	case a := <-otherAns:
		t.Fatalf("a non-recipient's watch was answered: %+v %v", a.r, a.err)
	default:
	}

	// The recipient follows the object while it is uploaded chunk by chunk.
	var buf bytes.Buffer
	followed := make(chan error, 1)
	go func() { followed <- down.Follow(ctx, o.object, &buf, int64(len(o.data)), 0, 30*time.Second, nil) }()
	for i := range int64(7) {
		lim := min((i+1)*protocol.AttachChunkSize, int64(len(o.data)))
		up.Upload(ctx, o.object, &prefixReader{data: o.data, limit: lim}, int64(len(o.data)), nil)
	}
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), o.data) {
		t.Fatal("the followed bytes differ")
	}
	// A plain download of a chunk not stored is refused at once.
	o2 := newTestObject(t, gh, 1000, sn)
	if err := up.Declare(ctx, o2.object, o2.decl); err != nil {
		t.Fatal(err)
	}
	refusedCode(t, down.Download(ctx, o2.object, &buf, 1000, 0, nil), protocol.AttachNotFound, "does not have chunk 0")
}

func TestAttachmentIsDeletedAtTheRetention(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	ctx := ctxT(t)
	s := n.hub.attach
	// The chunks and the records are kept for the network's retention.
	info, err := s.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kvs, err := s.kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Duration(n.hub.cfg.Retention); info.Config.MaxAge != want || kvs.TTL() != want {
		t.Fatalf("chunks kept %v, records %v, want the retention %v", info.Config.MaxAge, kvs.TTL(), want)
	}
	o := newTestObject(t, gh, 2*protocol.AttachChunkSize+10, sn)
	up := attachClient(n.connect(t, gh), gh)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	// hub.json cannot say less than a day: the same configurations, with
	// a retention of two seconds, applied to the running hub's stream and
	// bucket.
	short := *n.hub.cfg
	short.Retention = config.Duration(2 * time.Second)
	sc := attachStreamConfig(&short)
	sc.Duplicates = 2 * time.Second
	if _, err := s.js.UpdateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.js.UpdateKeyValue(ctx, attachBucketConfig(&short)); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the chunks and the record deleted at the retention", func() bool {
		info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(protocol.AttachChunkPrefix(testNetwork, gh, o.object)+".*"))
		if err != nil || len(info.State.Subjects) != 0 {
			return false
		}
		_, err = s.kv.Get(ctx, o.object)
		return errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted)
	})
	// The recipient's download now fails, saying the object is gone,
	// though the service read its record a moment before.
	var got bytes.Buffer
	down := attachClient(n.connect(t, sn), sn)
	err = down.Download(ctx, o.object, &got, int64(len(o.data)), 0, nil)
	refusedCode(t, err, protocol.AttachForbidden, "is not at the hub", "at the network's retention")
	if got.Len() != 0 {
		t.Fatalf("%d bytes of a deleted object given out", got.Len())
	}
	_, _, err = down.Stat(ctx, o.object)
	refusedCode(t, err, protocol.AttachForbidden, "is not at the hub", "at the network's retention")
}

func TestAttachmentDeleteBySenderOnlyBeforePublication(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn, ml)
	ctx := ctxT(t)
	ghc := n.connect(t, gh)
	up := attachClient(ghc, gh)
	o := newTestObject(t, gh, 2*protocol.AttachChunkSize+10, sn)
	if err := up.Declare(ctx, o.object, o.decl); err != nil {
		t.Fatal(err)
	}
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	if _, used := n.hub.attach.usedBy(gh); used != int64(len(o.data)) {
		t.Fatalf("%s holds %d bytes, want %d", gh, used, len(o.data))
	}
	// A recipient cannot delete it, nor can a third member (who is not told
	// it exists); both refusals are counted in the hub's refusals.
	refusedCode(t, attachClient(n.connect(t, sn), sn).Delete(ctx, o.object), protocol.AttachForbidden, "only the sender of object", "may delete it")
	refusedCode(t, attachClient(n.connect(t, ml), ml).Delete(ctx, o.object), protocol.AttachForbidden, "is not at the hub for agency "+ml)
	for _, a := range []string{sn, ml} {
		if refused, _ := n.hub.ingest.counts.get(a); refused != 1 {
			t.Fatalf("the hub counted %d refusals of %s, want 1", refused, a)
		}
	}
	if _, have, err := up.Stat(ctx, o.object); err != nil || have.Count() != 3 {
		t.Fatalf("after the refused deletes: %v %v", have, err)
	}
	// Its sender deletes it: chunks, record and quota go.
	if err := up.Delete(ctx, o.object); err != nil {
		t.Fatal(err)
	}
	_, _, err := up.Stat(ctx, o.object)
	refusedCode(t, err, protocol.AttachForbidden)
	if _, used := n.hub.attach.usedBy(gh); used != 0 {
		t.Fatalf("%s still holds %d bytes after the deletion", gh, used)
	}
	info, err := n.hub.attach.stream.Info(ctx, jetstream.WithSubjectFilter(protocol.AttachChunkPrefix(testNetwork, gh, o.object)+".*"))
	if err != nil || len(info.State.Subjects) != 0 {
		t.Fatalf("chunks left after the deletion: %v %v", info.State.Subjects, err)
	}
	// Deleting it again: the hub no longer has it.
	refusedCode(t, up.Delete(ctx, o.object), protocol.AttachForbidden)

	// Once a copy of its message is at the hub, the object stays.
	p := newTestObject(t, gh, 1000, sn)
	if err := up.Declare(ctx, p.object, p.decl); err != nil {
		t.Fatal(err)
	}
	publishTo(t, ctx, ghc, gh, sn, 3)
	if _, err := ghc.js.Publish(ctx, protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), []byte("the message"),
		jetstream.WithMsgID(protocol.PublishID(p.decl.Message, sn))); err != nil {
		t.Fatal(err)
	}
	refusedCode(t, up.Delete(ctx, p.object), protocol.AttachPublished, "message "+p.decl.Message, "already at the hub")
	if _, _, err := up.Stat(ctx, p.object); err != nil {
		t.Fatalf("the object of a published message was deleted: %v", err)
	}
	if refused, _ := n.hub.ingest.counts.get(gh); refused != 1 {
		t.Fatalf("the hub counted %d refusals of %s, want 1", refused, gh)
	}
}
