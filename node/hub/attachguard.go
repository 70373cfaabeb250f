package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The chunk guard sees every chunk an owner publishes as the stream stores
// it (attachcheck.go says what is checked): the chunk stream republishes
// each message it stores, headers only, on attachSeenPrefix (a subject of
// the hub's own account that no member imports), with the headers the
// server appends (Nats-Sequence, Nats-Msg-Size) after the publisher's; the
// guard subscribes to it. It never reads a chunk, and the stream reads
// nothing back from its blocks for it (a consumer would: it kept the
// blocks it read in the server's memory for ten seconds each, a quarter of
// a GiB at 100 MiB/s). A chunk that is not a declared object's, or not of
// its length, is deleted at once, counted among its owner's refusals and
// logged naming it. The republication is at most once: what the guard
// misses (the hub down, its subscription overrun) the sweep finds.

// attachSeenPrefix is where the chunk stream republishes what it stores.
func attachSeenPrefix(network string) string { return "casenet." + network + ".attseen" }

// Bounds on a member that keeps publishing chunks the hub refuses: more
// than maxChunkRefusals within chunkStrikeWindow, and the service refuses
// its declarations and puts (its uploads) until chunkStrikeWindow has gone
// by without a refused chunk, and the secretariat's console shows it over
// member_limits.attachment_bytes (Alarms). What it publishes meanwhile is
// still deleted by the guard.
const (
	maxChunkRefusals  = 32
	chunkStrikeWindow = time.Minute
)

// negativeTTL is how long the guard remembers an object it found
// undeclared, so that a flood of chunks of undeclared objects costs one
// record read per object, not per chunk; at most maxCachedRecords.
const negativeTTL = 10 * time.Second

// The guard's subscription holds at most this many republications
// waiting (headers only: a few hundred bytes each).
const (
	guardPendingMsgs  = 1 << 16
	guardPendingBytes = 64 << 20
)

// chunkGuard follows the chunk stream for the service.
type chunkGuard struct {
	s    *attachService
	sub  *nats.Subscription
	once sync.Once // unsubscribes sub

	undeclared map[string]time.Time // "owner/object" → when found undeclared (the subscription's goroutine only)

	mu      sync.Mutex
	strikes map[string]*strikes // owner → its refused chunks
}

// strikes counts an owner's refused chunks in the current window.
type strikes struct {
	start   time.Time // of the window
	n       int       // refused chunks in it
	last    time.Time // the last refused chunk
	stopped bool      // over maxChunkRefusals: its uploads are refused
}

// startGuard has the guard check every chunk the stream stores from now
// on.
func (s *attachService) startGuard() error {
	g := &chunkGuard{s: s, undeclared: map[string]time.Time{}, strikes: map[string]*strikes{}}
	// One server of a clustered hub checks each chunk (the stream's
	// leader republishes it once).
	sub, err := s.nc.QueueSubscribe(attachSeenPrefix(s.network)+".>", serviceQueue, g.check)
	if err != nil {
		return fmt.Errorf("follow chunks: %w", err)
	}
	if err := sub.SetPendingLimits(guardPendingMsgs, guardPendingBytes); err != nil {
		sub.Unsubscribe()
		return fmt.Errorf("follow chunks: %w", err)
	}
	g.sub = sub
	s.guard = g
	return s.nc.Flush()
}

// stop stops following the stream.
func (g *chunkGuard) stop() {
	if g != nil {
		g.once.Do(func() { g.sub.Unsubscribe() })
	}
}

// last is the last value of header key in m: the server's, appended after
// any the publisher set.
func last(m *nats.Msg, key string) string {
	v := m.Header.Values(key)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// check judges one stored chunk, from its republished headers.
func (g *chunkGuard) check(m *nats.Msg) {
	s := g.s
	// The subject is the stored chunk's, the server's doing.
	parts := strings.Split(strings.TrimPrefix(m.Subject, attachSeenPrefix(s.network)+"."), ".")
	if len(parts) != 3 {
		// A chunk of the earlier layout, which only the service puts.
		return
	}
	owner, object := parts[0], parts[1]
	subj := "casenet." + s.network + ".attdata." + strings.Join(parts, ".")
	size, err := strconv.ParseInt(last(m, nats.MsgSize), 10, 64)
	if err != nil {
		size = -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), attachTimeout)
	defer cancel()
	why := g.judge(ctx, owner, object, parts[2], size)
	if why == "" {
		s.chunkStored(size)
		return
	}
	// The subject holds that one message (the stream keeps one per
	// subject and refuses another while it is there).
	err = s.stream.Purge(ctx, jetstream.WithPurgeSubject(subj))
	if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		// The sweep finds it if it is not a declared object's; one of
		// the wrong length stays the receivers' to find.
		s.log.Warn("cannot delete a refused attachment chunk", "member", owner, "subject", subj, "err", err)
	}
	if g.strike(owner, time.Now()) {
		s.refused(owner, "attachment chunk deleted: "+why, "subject", subj, "size", size)
	} else {
		s.counts.refusedRequest(owner)
	}
}

// judge returns why chunk n (as its subject spells it) of object, stored
// on owner's subject with size bytes, is refused, or "" when it is one
// of a declared object's chunks, of its length.
func (g *chunkGuard) judge(ctx context.Context, owner, object, n string, size int64) string {
	if protocol.ValidateID("agency", owner) != nil || protocol.ValidateObjectID(object) != nil {
		return "not a chunk subject"
	}
	key := owner + "/" + object
	if at, ok := g.undeclared[key]; ok && time.Since(at) < negativeTTL {
		return "no object " + object + " declared by " + owner
	}
	r, err := g.s.cached(ctx, object)
	if err != nil {
		// Cannot tell now: the sweep will.
		g.s.log.Warn("cannot check an attachment chunk", "member", owner, "object", object, "err", err)
		return ""
	}
	if r == nil || r.Owner != owner || r.Layout != layoutOwned {
		if len(g.undeclared) >= maxCachedRecords {
			clear(g.undeclared)
		}
		g.undeclared[key] = time.Now()
		return "no object " + object + " declared by " + owner
	}
	i, err := strconv.ParseInt(n, 10, 64)
	if err != nil || strconv.FormatInt(i, 10) != n || protocol.AttachChunkLen(r.CipherSize, i) < 0 {
		return fmt.Sprintf("object %s has %d chunks, not chunk %s", object, protocol.AttachChunks(r.CipherSize), n)
	}
	if want := protocol.AttachChunkLen(r.CipherSize, i); size != want {
		return fmt.Sprintf("chunk %d of object %s is %d bytes, not %d", i, object, size, want)
	}
	return ""
}

// strike counts a refused chunk of owner's at now, and reports whether
// to log it: each while the owner is within maxChunkRefusals, then once
// as it is stopped.
func (g *chunkGuard) strike(owner string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.strikes[owner]
	if st == nil {
		if len(g.strikes) >= maxCounted {
			return false
		}
		st = &strikes{start: now}
		g.strikes[owner] = st
	}
	// A new window: a minute since the last refused chunk of a
	// stopped owner, since the window's start of another.
	if st.stopped && now.Sub(st.last) >= chunkStrikeWindow || !st.stopped && now.Sub(st.start) >= chunkStrikeWindow {
		st.start, st.n, st.stopped = now, 0, false
	}
	st.n++
	st.last = now
	if st.stopped {
		return false
	}
	if st.n > maxChunkRefusals {
		st.stopped = true
		g.s.log.Warn("member keeps publishing attachment chunks the hub refuses: its uploads are refused until it stops",
			"member", owner, "refused_chunks", st.n, "within", chunkStrikeWindow)
		return false
	}
	return true
}

// stopped reports whether owner's uploads are refused: it published more
// than maxChunkRefusals refused chunks within a window, and the last less
// than chunkStrikeWindow ago.
func (g *chunkGuard) stopped(owner string, now time.Time) bool {
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.strikes[owner]
	return st != nil && st.stopped && now.Sub(st.last) < chunkStrikeWindow
}

// uploadsStopped returns the service's refusal of owner's declarations
// and puts while the guard stops it, or nil.
func (s *attachService) uploadsStopped(owner string) error {
	if !s.guard.stopped(owner, time.Now()) {
		return nil
	}
	return refuse(protocol.AttachLimit, "agency %s published attachment chunks the hub refused (more than %d within %s): its uploads are refused until it has published none for %s",
		owner, maxChunkRefusals, chunkStrikeWindow, chunkStrikeWindow)
}

// overChunks reports whether the guard stopped agency's uploads (for the
// members' health), false on a hub without the service.
func (s *attachService) overChunks(agency string) bool {
	return s != nil && s.guard.stopped(agency, time.Now())
}
