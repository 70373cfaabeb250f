package agency

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/node/attach"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// Prefetching: the hub tells a recipient of each object declared to it
// (protocol.AttachWatch) while its sender uploads it, and the node fetches
// the chunks as they are stored, into the same partial file the download
// of the message's attachment resumes from. When the message arrives, its
// attachment is then here, or nearly: what was fetched early is checked
// against the message's signed manifest before anything is recorded, as
// any download is. Only objects up to attachment_auto_fetch are fetched
// early, and at most maxPrefetches at a time.

// maxPrefetches bounds the objects fetched early at a time; prefetchIdle
// is how long a prefetch waits for its sender's next chunk before it
// stops (the download of the message resumes from what it has).
const (
	maxPrefetches = 2
	prefetchIdle  = time.Minute
)

// checked is what a verifier found of a whole ciphertext.
type checked struct {
	cipherSum, plainSum string
	cipherSize, size    int64
	err                 string // why it could not be decrypted, or ""
}

// mismatch returns why c is not the attachment it's manifest names, or "".
func (c *checked) mismatch(it *store.AttachItem) string {
	switch {
	case c.cipherSize != it.CipherSize || c.cipherSum != it.CipherSHA256:
		return fmt.Sprintf("its ciphertext (%d bytes, SHA-256 %s) is not the one its manifest names", c.cipherSize, c.cipherSum)
	case c.err != "":
		return c.err
	case c.size != it.Size || c.plainSum != it.SHA256:
		return fmt.Sprintf("its plaintext (%d bytes, SHA-256 %s) is not the one its manifest names", c.size, c.plainSum)
	}
	return ""
}

// objectLocks gives one transfer at a time the partial file of an object.
type objectLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
	users map[string]int
}

func (l *objectLocks) lock(object string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks, l.users = map[string]*sync.Mutex{}, map[string]int{}
	}
	m := l.locks[object]
	if m == nil {
		m = &sync.Mutex{}
		l.locks[object] = m
	}
	l.users[object]++
	l.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		l.mu.Lock()
		if l.users[object]--; l.users[object] == 0 {
			delete(l.locks, object)
			delete(l.users, object)
		}
		l.mu.Unlock()
	}
}

// watch asks the hub for the objects declared to this agency until ctx
// ends, and fetches those it may early.
func (x *transfers) watch(ctx context.Context, c *attach.Client) {
	var after int64
	wait := x.n.o.ReconnectWait
	for ctx.Err() == nil {
		octx, stop := x.whileOnline(ctx)
		rep, err := c.Watch(octx, after)
		stop()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var se *attach.ServiceError
			if errors.As(err, &se) && se.Code == protocol.AttachInvalid {
				x.n.log.Warn("attachments: the hub does not tell of attachments declared; they are fetched when their message arrives", "err", err)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, x.n.o.MaxReconnectWait)
			// The hub may have restarted: ask from the start.
			after = 0
			continue
		}
		wait = x.n.o.ReconnectWait
		after = rep.Seq
		for _, d := range rep.Objects {
			x.maybePrefetch(ctx, c, d)
		}
	}
}

// maybePrefetch starts fetching an object declared to this agency, unless
// it is too big, its sender is not a member, it or its message is here
// already, or enough prefetches run.
func (x *transfers) maybePrefetch(ctx context.Context, c *attach.Client, d protocol.AttachDeclared) {
	if d.CipherSize > x.n.cfg.AttachmentAutoFetch {
		return
	}
	if rf := x.n.rosterNow(); rf == nil || rf.roster.Member(d.Owner) == nil {
		return
	}
	if _, err := os.Stat(x.n.attachPath(store.DirectionIn, d.Object)); err == nil {
		return
	}
	// Once its message is here, the transfer loop fetches it.
	var j *store.AttachJob
	if err := x.n.store.View(func(tx *store.Tx) error {
		var err error
		j, err = tx.AttachJob(store.DirectionIn, d.Message)
		return err
	}); err != nil || j != nil {
		return
	}
	x.mu.Lock()
	if x.prefetching[d.Object] || len(x.prefetching) >= maxPrefetches {
		x.mu.Unlock()
		return
	}
	x.prefetching[d.Object] = true
	x.mu.Unlock()
	// A lost connection ends the prefetch at once, as it ends the
	// transfer loop's pass: its requests in flight would otherwise hold
	// the object for their whole timeout. The hub tells of the object
	// again when asked from the start.
	pctx, stop := x.whileOnline(ctx)
	x.wg.Go(func() {
		defer stop()
		defer func() {
			x.mu.Lock()
			delete(x.prefetching, d.Object)
			x.mu.Unlock()
		}()
		if err := x.prefetch(pctx, c, d); err != nil && pctx.Err() == nil {
			x.n.log.Info("attachments: early fetch stopped; the download resumes from it when the message arrives", "object", d.Object, "from", d.Owner, "err", err)
		}
	})
}

// prefetch fetches the chunks of an object as they are stored, into its
// partial file, checking them as it goes; a whole object's findings are
// kept for the download of the message's attachment.
func (x *transfers) prefetch(ctx context.Context, c *attach.Client, d protocol.AttachDeclared) error {
	unlock := x.objects.lock(d.Object)
	defer unlock()
	path := x.n.attachPath(store.DirectionIn, d.Object)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	defer x.untrack(d.Object)
	res, err := x.fetchPart(ctx, c, path+".part", d.Object, d.CipherSize, prefetchIdle)
	if err != nil {
		return err
	}
	x.mu.Lock()
	x.checked[d.Object] = res
	x.mu.Unlock()
	x.n.log.Info("attachment fetched early", "object", d.Object, "from", d.Owner, "size", d.CipherSize)
	return nil
}

// fetchPart fetches the chunks of an object its partial file lacks,
// checking the whole ciphertext as it goes (what the file had is read
// through the verifier first), and syncs the file. idle > 0 follows an
// object still being uploaded.
func (x *transfers) fetchPart(ctx context.Context, c *attach.Client, part, object string, size int64, idle time.Duration) (*checked, error) {
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The partial file grows by whole chunks, each checked: resume after
	// the last whole one.
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	from := min(st.Size()/protocol.AttachChunkSize, protocol.AttachChunks(size))
	if err := f.Truncate(from * protocol.AttachChunkSize); err != nil {
		return nil, err
	}
	v := x.newVerifier()
	if _, err := io.Copy(v, io.NewSectionReader(f, 0, from*protocol.AttachChunkSize)); err != nil {
		v.abort()
		return nil, err
	}
	if _, err = f.Seek(from*protocol.AttachChunkSize, io.SeekStart); err == nil {
		// Written back to disk as it grows: the sync below waits for
		// little.
		err = c.Follow(ctx, object, io.MultiWriter(durable.Writeback(f, from*protocol.AttachChunkSize), v), size, from, idle, x.track(object))
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		v.abort()
		return nil, err
	}
	res := v.finish()
	return &res, nil
}
