package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// guardDeadline is how long the guard may take to delete a refused chunk:
// it does so within milliseconds, and the sweep, its backstop, runs only
// at the hub's start and every chunkSweepEvery.
const guardDeadline = 10 * time.Second

// storeRaw publishes data on subj from c as a hostile owner does, and
// fails unless the stream stored it.
func storeRaw(t *testing.T, c *agencyConn, subj string, data []byte) {
	t.Helper()
	var ack struct {
		Seq uint64 `json:"seq"`
	}
	if ans := publishChunk(t, c, subj, data); json.Unmarshal([]byte(ans), &ack) != nil || ack.Seq == 0 {
		t.Fatalf("publish on %s: %s", subj, ans)
	}
}

func TestAttachmentGuardDeletesChunksBeyondDeclarationsAtOnce(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	// gh may hold 1 MiB of attachments: four chunks.
	n.hub.Close()
	cfg, err := config.LoadHub(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.StoreDir = "jetstream"
	cfg.MaxAttachmentSize = 4 * protocol.AttachChunkSize
	cfg.MemberLimits.AttachmentBytes = 4 * protocol.AttachChunkSize
	data, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.dir, config.HubFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	n.start(t)
	s := n.hub.attach
	ghc := n.connect(t, gh)
	up := attachClient(ghc, gh)
	ctx := ctxT(t)
	o := newTestObject(t, gh, 2*protocol.AttachChunkSize, sn)
	p := newTestObject(t, gh, 1000, sn)
	for _, x := range []*testObject{o, p} {
		if err := up.Declare(ctx, x.object, x.decl); err != nil {
			t.Fatal(err)
		}
	}
	if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
		t.Fatal(err)
	}
	refused, _ := s.counts.get(gh)

	// The member, at its quota's end, stores what it did not declare:
	// eight full chunks of objects it never declared (twice its quota),
	// a chunk past the end of o, and a chunk of p of the wrong length.
	full := bytes.Repeat([]byte{1}, protocol.AttachChunkSize)
	var bad []string
	for i := range 8 {
		undeclared := newTestObject(t, gh, protocol.AttachChunkSize, sn)
		bad = append(bad, protocol.AttachChunkSubject(testNetwork, gh, undeclared.object, int64(i%2)))
	}
	for _, subj := range bad {
		storeRaw(t, ghc, subj, full)
	}
	storeRaw(t, ghc, protocol.AttachChunkSubject(testNetwork, gh, o.object, 2), full)
	// Its headers claim the right size: the guard reads the server's.
	short := nats.NewMsg(protocol.AttachChunkSubject(testNetwork, gh, p.object, 0))
	short.Data = p.data[:999]
	short.Header.Set(nats.MsgSize, "1000")
	short.Header.Set("Nats-Sequence", "1")
	if ans, err := ghc.nc.RequestMsg(short, 5*time.Second); err != nil || !bytes.Contains(ans.Data, []byte(`"seq"`)) {
		t.Fatalf("publish a short chunk: %v", err)
	}
	want := []string{
		protocol.AttachChunkSubject(testNetwork, gh, o.object, 0),
		protocol.AttachChunkSubject(testNetwork, gh, o.object, 1),
	}
	// Each is deleted as soon as stored, and counted against gh.
	var got map[string]uint64
	poll.Until(t, guardDeadline, "the guard to delete the chunks gh did not declare", func() bool {
		got = chunkSubjects(t, s, "casenet."+testNetwork+".attdata.>")
		return len(got) == len(want)
	})
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
		t.Fatalf("the stream holds %v, want only %v", keys, want)
	}
	poll.Until(t, guardDeadline, "10 refusals counted against gh", func() bool {
		after, _ := s.counts.get(gh)
		return after == refused+10
	})
	// p's chunk of the right length is kept: the guard refuses only
	// what is not a declared object's.
	if err := up.Upload(ctx, p.object, bytes.NewReader(p.data), int64(len(p.data)), nil); err != nil {
		t.Fatal(err)
	}
	pSubj := protocol.AttachChunkSubject(testNetwork, gh, p.object, 0)
	storeRaw(t, ghc, protocol.AttachChunkSubject(testNetwork, gh, o.object, 7), []byte("x"))
	poll.Until(t, guardDeadline, "chunk 7 of o deleted", func() bool {
		after, _ := s.counts.get(gh)
		return after == refused+11
	})
	if got := chunkSubjects(t, s, pSubj); got[pSubj] != 1 {
		t.Fatalf("p's chunk 0 was deleted: %v", got)
	}
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter("casenet."+testNetwork+".attdata.>"))
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 || info.State.Bytes > uint64(cfg.MemberLimits.AttachmentBytes)+4096 {
		t.Fatalf("the stream holds %d chunks, %d bytes, after gh stored %d bytes beyond its declarations: want 3 within its quota of %d",
			info.State.Msgs, info.State.Bytes, 9*protocol.AttachChunkSize+999, cfg.MemberLimits.AttachmentBytes)
	}
}

func TestAttachmentGuardStopsAMemberThatKeepsPublishingRefusedChunks(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	s := n.hub.attach
	ghc := n.connect(t, gh)
	up := attachClient(ghc, gh)
	ctx := ctxT(t)
	undeclared := newTestObject(t, gh, 1000, sn)
	for i := range maxChunkRefusals + 1 {
		storeRaw(t, ghc, protocol.AttachChunkSubject(testNetwork, gh, undeclared.object, int64(i)), []byte("x"))
	}
	poll.Until(t, guardDeadline, fmt.Sprintf("%d refusals counted against gh", maxChunkRefusals+1), func() bool {
		refused, _ := s.counts.get(gh)
		return refused == maxChunkRefusals+1
	})
	if got := chunkSubjects(t, s, "casenet."+testNetwork+".attdata.>"); len(got) != 0 {
		t.Fatalf("the stream holds %v", got)
	}
	// Its uploads are refused, and the secretariat is told.
	o := newTestObject(t, gh, 1000, sn)
	refusedCode(t, up.Declare(ctx, o.object, o.decl), protocol.AttachLimit, gh, "refused", fmt.Sprint(maxChunkRefusals))
	alarms, err := n.hub.Alarms(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(alarms, Alarm{Kind: AlarmOverLimits, Agency: gh, Detail: "member_limits.attachment_bytes"}) {
		t.Fatalf("alarms %+v, want gh over member_limits.attachment_bytes", alarms)
	}
	// Another member is not concerned.
	other := newTestObject(t, sn, 1000, gh)
	if err := attachClient(n.connect(t, sn), sn).Declare(ctx, other.object, other.decl); err != nil {
		t.Fatal(err)
	}
}

func TestAttachmentSweepAtStartDeletesWhatTheGuardMissed(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	// Stored while the hub did not follow the stream.
	n.hub.attach.guard.stop()
	ghc := n.connect(t, gh)
	undeclared := newTestObject(t, gh, 1000, sn)
	subj := protocol.AttachChunkSubject(testNetwork, gh, undeclared.object, 0)
	storeRaw(t, ghc, subj, []byte("x"))
	if got := chunkSubjects(t, n.hub.attach, subj); got[subj] != 1 {
		t.Fatalf("the stream holds %v, want the chunk stored", got)
	}
	n.hub.Close()
	n.start(t)
	poll.Until(t, guardDeadline, "the sweep at the hub's start to delete the chunk", func() bool {
		return len(chunkSubjects(t, n.hub.attach, subj)) == 0
	})
	// Counted since this start.
	if refused, _ := n.hub.attach.counts.get(gh); refused != 1 {
		t.Fatalf("%d refusals counted against gh, want 1", refused)
	}
}
