package hub

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Owners publish their chunks themselves (docs/PROTOCOL.md 10.3): an
// object declared with layoutOwned has its chunk n on
// protocol.AttachChunkSubject(network, owner, object, n), a subject of the
// chunk stream that the owner's account imports and its permissions let it
// publish on (protocol.AttachChunkFilter), so that a chunk goes from the
// member into the stream once, not through the service and again into the
// stream. The stream's acknowledgement goes back to the member. Nothing
// the member publishes there is trusted; what the service checked of a
// put, the stream or the hub check now:
//
//   - one message per chunk subject, never replaced: the stream's limits
//     (MaxMsgsPerSubject 1, DiscardNewPerSubject), before it is stored;
//   - a chunk's size at most a chunk and its headers: the stream's
//     MaxMsgSize, before it is stored;
//   - its object declared by the publisher (whose declarations are within
//     its quota member_limits.attachment_bytes: declare), its number
//     within the object, and its length the one of that chunk: the chunk
//     guard (attachguard.go), as each chunk is stored, from the headers
//     the stream republishes (no chunk read). A chunk that fails is
//     deleted at once (within milliseconds of its acknowledgement),
//     counted among the member's refusals and logged naming it; so what a
//     member holds
//     in the stream is at most the chunks of the objects it declared,
//     each of its length: within its quota. A member that keeps at it
//     (more than maxChunkRefusals within chunkStrikeWindow) has its
//     uploads refused and shows over member_limits.attachment_bytes;
//   - the same but its length, for what the guard did not see (stored
//     while the hub was down, or while the guard could not read a
//     record, or a republication its subscription dropped): the sweep below, at the hub's start and every
//     chunkSweepEvery after, which lists the owned chunk subjects the
//     stream holds (its subject index, no message read) and deletes, as
//     refusals counted against the member, the chunks of an object the
//     member did not declare and those of a number the object does not
//     have. A chunk of the right number but not the right bytes is the
//     receivers' to find, with its digest, as before;
//   - durability: the stream acknowledges a chunk once it is written, not
//     synced; the owner's stat syncs the stream before it lists the chunks
//     (stat), and the owner's node publishes its message only once a stat
//     lists them all.

// chunkSweepEvery is how often, after the one at its start, the hub
// sweeps for chunks no declared object has: a backstop of the guard.
const chunkSweepEvery = 10 * time.Minute

// tellChunks tells the owner of r, asking about it, where it publishes its
// chunks itself.
func (s *attachService) tellChunks(r *attachRecord, req *protocol.AttachRequest, ans *nats.Msg) {
	if r.Layout == layoutOwned && req.Agency == r.Owner {
		ans.Header.Set(protocol.AttachChunksHeader, protocol.AttachChunkPrefix(s.network, r.Owner, req.Object))
	}
}

// sweepChunks sweeps the owned chunk subjects at once, then every
// chunkSweepEvery until ctx ends when the stream stored anything since the
// last sweep: the listing grows with the chunks the hub holds.
func (s *attachService) sweepChunks(ctx context.Context) {
	var swept uint64
	for wait := time.Duration(0); ; wait = chunkSweepEvery {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		info, err := s.stream.Info(ctx)
		if err == nil && info.State.LastSeq == swept {
			continue
		}
		if err == nil {
			err = s.sweep(ctx)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("cannot look for chunks of undeclared attachments", "err", err)
			}
			continue
		}
		swept = info.State.LastSeq
	}
}

// sweep deletes the chunks stored on owned subjects that are not a
// declared object's: the object not declared by the agency its subject
// names, or no such chunk number in it.
func (s *attachService) sweep(ctx context.Context) error {
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter("casenet."+s.network+".attdata.*.*.*"))
	if err != nil {
		return fmt.Errorf("list chunks: %w", err)
	}
	type object struct{ owner, id string }
	chunks := map[object][]string{}
	for subj := range info.State.Subjects {
		parts := strings.Split(strings.TrimPrefix(subj, "casenet."+s.network+".attdata."), ".")
		if len(parts) == 3 {
			o := object{parts[0], parts[1]}
			chunks[o] = append(chunks[o], parts[2])
		}
	}
	for o, ns := range chunks {
		why, bad := s.badChunks(ctx, o.owner, o.id, ns)
		if why == "" {
			continue
		}
		s.refused(o.owner, "attachment chunks deleted: "+why, "object", o.id, "chunks", len(bad))
		for _, n := range bad {
			subj := "casenet." + s.network + ".attdata." + o.owner + "." + o.id + "." + n
			if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
				return fmt.Errorf("delete chunk %s: %w", subj, err)
			}
		}
	}
	return nil
}

// badChunks returns why some of the chunks ns stored for object of owner
// are not a declared object's, and which, or "".
func (s *attachService) badChunks(ctx context.Context, owner, object string, ns []string) (string, []string) {
	if protocol.ValidateID("agency", owner) != nil || protocol.ValidateObjectID(object) != nil {
		return "not a chunk subject", ns
	}
	r, err := s.cached(ctx, object)
	if err != nil {
		// Cannot tell now: the next sweep will.
		s.log.Warn("cannot check the chunks of an attachment", "object", object, "err", err)
		return "", nil
	}
	if r == nil || r.Owner != owner || r.Layout != layoutOwned {
		return "no object " + object + " declared by " + owner, ns
	}
	var bad []string
	for _, v := range ns {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != v || protocol.AttachChunkLen(r.CipherSize, n) < 0 {
			bad = append(bad, v)
		}
	}
	if len(bad) == 0 {
		return "", nil
	}
	return fmt.Sprintf("object %s has %d chunks", object, protocol.AttachChunks(r.CipherSize)), bad
}
