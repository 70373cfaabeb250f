package agency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/node/attach"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
)

// transfers moves attachments to and from the hub while the node runs:
// the uploads of messages held in the outbox until their attachments are
// at the hub, then the downloads of messages received, whose delivered
// receipts wait for them. The store's attachment records say what is left
// to do, so a node killed at any point resumes where it was.
type transfers struct {
	n      *Node
	kick   chan struct{}
	client atomic.Pointer[attach.Client]
	// runCtx is run's context while it runs, for the uploads started while
	// a message is sent (eager.go), counted in eagers; both under mu.
	runCtx context.Context
	eagers sync.WaitGroup

	// objects gives a partial file to one transfer at a time: a prefetch
	// or the download of its message (prefetch.go).
	objects objectLocks
	wg      sync.WaitGroup // the prefetches

	mu          sync.Mutex
	prog        map[string]*progress // object → the transfer under way
	changed     chan struct{}        // closed when an item changes state
	prefetching map[string]bool      // objects being fetched early
	checked     map[string]*checked  // objects fetched early, whole, and what their check found
	// uploads stops the uploads under way, by object (cancel.go).
	uploads    map[string]map[uint64]context.CancelFunc
	lastUpload uint64
}

// progress is a transfer under way.
type progress struct {
	done, total int64
	start       time.Time
	from        int64 // done at start
	now         func() time.Time
}

// rate is the bytes a second moved since the transfer started.
func (p *progress) rate() float64 {
	el := p.now().Sub(p.start).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(p.done-p.from) / el
}

func newTransfers(n *Node) *transfers {
	return &transfers{n: n, kick: make(chan struct{}, 1), prog: map[string]*progress{}, changed: make(chan struct{}),
		prefetching: map[string]bool{}, checked: map[string]*checked{}, uploads: map[string]map[uint64]context.CancelFunc{}}
}

func (x *transfers) wake() {
	select {
	case x.kick <- struct{}{}:
	default:
	}
}

// notify wakes those waiting for an item to change.
func (x *transfers) notify() {
	x.mu.Lock()
	close(x.changed)
	x.changed = make(chan struct{})
	x.mu.Unlock()
}

// status sums up the transfers under way.
func (x *transfers) status() TransferStatus {
	if x == nil {
		// A node whose opening stopped before its transfers were made.
		return TransferStatus{}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	var s TransferStatus
	for _, p := range x.prog {
		s.Moving++
		s.Done += p.done
		s.Total += p.total
		s.Rate += p.rate()
	}
	return s
}

func (x *transfers) progress(object string) (progress, bool) {
	if x == nil {
		return progress{}, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.prog[object]
	if p == nil {
		return progress{}, false
	}
	return *p, true
}

// track returns the progress callback of a transfer of object.
func (x *transfers) track(object string) attach.Progress {
	var p *progress
	return func(done, total int64) {
		x.mu.Lock()
		defer x.mu.Unlock()
		if p == nil {
			p = &progress{total: total, start: x.n.o.Now(), from: done, now: x.n.o.Now}
			x.prog[object] = p
		}
		p.done = done
	}
}

func (x *transfers) untrack(object string) {
	x.mu.Lock()
	delete(x.prog, object)
	x.mu.Unlock()
}

// run works until ctx ends, over nc.
func (x *transfers) run(ctx context.Context, nc *nats.Conn) {
	c := attach.New(nc, x.n.cfg.Network, x.n.cfg.Agency, attach.Options{
		Backoff: x.n.o.ReconnectWait, MaxBackoff: x.n.o.MaxReconnectWait})
	x.client.Store(c)
	x.mu.Lock()
	x.runCtx = ctx
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		x.runCtx = nil
		x.mu.Unlock()
		x.eagers.Wait()
	}()
	defer x.client.Store(nil)
	wctx, stopWatch := context.WithCancel(ctx)
	x.wg.Go(func() { x.watch(wctx, c) })
	defer x.wg.Wait()
	defer stopWatch()
	wait := x.n.o.ReconnectWait
	for {
		pctx, stop := x.whileOnline(ctx)
		retry, err := x.pass(pctx)
		stop()
		if ctx.Err() != nil {
			return
		}
		next := time.Minute
		if !retry.IsZero() {
			next = min(next, max(retry.Sub(x.n.o.Now()), time.Millisecond))
		}
		if err != nil {
			x.n.log.Warn("attachments: transfer interrupted, resuming later", "err", err, "retry_in", wait)
			next, wait = wait, min(2*wait, x.n.o.MaxReconnectWait)
		} else {
			wait = x.n.o.ReconnectWait
		}
		select {
		case <-ctx.Done():
			return
		case <-x.kick:
		case <-time.After(next):
		}
	}
}

// whileOnline returns a context that ends with ctx, with stop, or when
// the node goes offline: a transfer cut by a lost connection stops at
// once, and starts again, from what the other side has, when the node is
// back online (which wakes the loop).
func (x *transfers) whileOnline(ctx context.Context) (context.Context, context.CancelFunc) {
	pctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		for {
			online, changed := x.n.hub.watch()
			if !online {
				break
			}
			select {
			case <-pctx.Done():
				return
			case <-changed:
			}
		}
		// Offline: the pass stops; wake the loop once back online.
		for ctx.Err() == nil {
			online, changed := x.n.hub.watch()
			if online {
				x.wake()
				return
			}
			select {
			case <-ctx.Done():
			case <-changed:
			}
		}
	}()
	return pctx, cancel
}

// due reports whether an item is to be moved now: pending, or refused and
// its back-off over; if not, when a refused one is due.
func (x *transfers) due(it *store.AttachItem, now time.Time) (bool, time.Time) {
	switch it.State {
	case store.AttachPending:
		return true, time.Time{}
	case store.AttachCancelled:
		// Its object is to be deleted at the hub, until the hub did.
		if it.Deleted != nil {
			return false, time.Time{}
		}
		fallthrough
	case store.AttachRefused:
		wait := min(x.n.o.ReconnectWait<<min(it.Attempts, 16), time.Hour)
		if it.Tried == nil || now.Sub(*it.Tried) >= wait {
			return true, time.Time{}
		}
		return false, it.Tried.Add(wait)
	}
	return false, time.Time{}
}

// pass moves everything due, uploads first, and returns when a refused
// item is due again.
func (x *transfers) pass(ctx context.Context) (retry time.Time, err error) {
	c := x.client.Load()
	if c == nil {
		return retry, errors.New("not connected")
	}
	if online, _ := x.n.hub.watch(); !online {
		return retry, nil
	}
	for _, dir := range []store.Direction{store.DirectionOut, store.DirectionIn} {
		var jobs []*store.AttachJob
		if err := x.n.store.View(func(tx *store.Tx) error {
			var err error
			jobs, err = tx.AttachJobs(dir)
			return err
		}); err != nil {
			return retry, err
		}
		for _, j := range jobs {
			for i := range j.Items {
				ok, at := x.due(&j.Items[i], x.n.o.Now())
				if !at.IsZero() && (retry.IsZero() || at.Before(retry)) {
					retry = at
				}
				if !ok {
					continue
				}
				var err error
				if j.Items[i].State == store.AttachCancelled {
					if err := x.deleteAbandoned(ctx, c, j, i); err != nil {
						return retry, err
					}
					continue
				}
				if dir == store.DirectionOut {
					err = x.upload(ctx, c, j, i)
				} else {
					err = x.download(ctx, c, j, i)
				}
				if err != nil {
					return retry, err
				}
				if j.Items[i].State != store.AttachDone {
					// Refused now: due again after its back-off.
					retry = x.n.o.Now()
				}
			}
		}
	}
	return retry, nil
}

// update changes item i of a job in the store.
func (x *transfers) update(j *store.AttachJob, i int, fn func(it *store.AttachItem)) (*store.AttachJob, error) {
	var cur *store.AttachJob
	err := x.n.store.Commit(func(tx *store.Tx) error {
		var err error
		if cur, err = tx.AttachJob(j.Direction, j.MessageID); err != nil || cur == nil {
			return err
		}
		if cur.Cancelled != nil {
			// Withdrawn meanwhile: its items stay cancelled.
			return nil
		}
		fn(&cur.Items[i])
		return tx.PutAttachJob(cur)
	})
	if err == nil && cur == nil {
		err = fmt.Errorf("the attachments of %s are no longer recorded", j.MessageID)
	}
	x.notify()
	return cur, err
}

// record appends an attachment record to the audit log.
func (x *transfers) record(ctx context.Context, action string, j *store.AttachJob, it *store.AttachItem, detail string) error {
	b, err := json.Marshal(attachRecord{Action: action, MessageID: j.MessageID, Direction: j.Direction, Name: it.Name, Object: it.Object,
		SHA256: it.SHA256, CipherSHA256: it.CipherSHA256, Size: it.Size, Detail: detail})
	if err != nil {
		return err
	}
	_, err = x.n.audit.AppendBatch(ctx, []auditlog.Entry{{Type: auditlog.TypeAccess, Actor: x.n.cfg.Agency, MessageID: j.MessageID, Payload: b}})
	return err
}

// refuse records that item i failed for good this time: it is tried
// again after a back-off.
func (x *transfers) refuse(ctx context.Context, j *store.AttachJob, i int, why string) error {
	it := &j.Items[i]
	if j.Direction == store.DirectionOut && x.withdrawn(j.MessageID) {
		return nil
	}
	if j.Direction == store.DirectionIn {
		x.n.log.Warn("attachment refused: it does not match its manifest; asking for it again later", "message", j.MessageID, "from", j.From, "attachment", it.Name, "reason", why)
	} else {
		x.n.log.Error("attachment refused by the hub: the message is held in the outbox", "message", j.MessageID, "attachment", it.Name, "reason", why)
	}
	if err := x.record(ctx, "attachment-refused", j, it, why); err != nil {
		return err
	}
	now := x.n.o.Now()
	_, err := x.update(j, i, func(it *store.AttachItem) {
		it.State, it.Error, it.Tried = store.AttachRefused, why, &now
		it.Attempts++
	})
	return err
}

// permanent reports whether the hub's refusal cannot change by asking
// again at once.
func permanent(err error) (string, bool) {
	var se *attach.ServiceError
	if errors.As(err, &se) && se.Code != protocol.AttachFailed {
		return se.Msg, true
	}
	var ce *attach.ChunkError
	if errors.As(err, &ce) {
		return ce.Error(), true
	}
	return "", false
}

// upload declares and uploads item i of a message sent.
func (x *transfers) upload(ctx context.Context, c *attach.Client, j *store.AttachJob, i int) error {
	it := &j.Items[i]
	// An upload started while the message was sent finishes first.
	// A cancel stops the upload: registered before the store is read
	// again, so that a cancel committed meanwhile is seen either way.
	uctx, stopped := x.uploading(ctx, it.Object)
	defer stopped()
	unlock := x.objects.lock(it.Object)
	defer unlock()
	defer x.untrack(it.Object)
	if x.withdrawn(j.MessageID) {
		return nil
	}
	f, err := os.Open(x.n.attachPath(store.DirectionOut, it.Object))
	if err != nil {
		return x.refuse(ctx, j, i, fmt.Sprintf("the encrypted file is gone: %v", err))
	}
	defer f.Close()
	again := c.Again.Load()
	err = c.Declare(uctx, it.Object, &protocol.AttachNewRequest{CipherSHA256: it.CipherSHA256, CipherSize: it.CipherSize, Index: i, Message: j.MessageID, To: j.To})
	if err == nil {
		err = c.Upload(uctx, it.Object, f, it.CipherSize, x.track(it.Object))
	}
	if uctx.Err() != nil && ctx.Err() == nil {
		// Stopped by a cancel: the next pass deletes it at the hub.
		return nil
	}
	p, _ := x.progress(it.Object)
	again = c.Again.Load() - again
	if why, ok := permanent(err); ok {
		return x.refuse(ctx, j, i, why)
	}
	if err != nil {
		return err
	}
	if err := x.record(ctx, "attachment-uploaded", j, it, ""); err != nil {
		return err
	}
	now := x.n.o.Now()
	cur, err := x.update(j, i, func(it *store.AttachItem) {
		it.State, it.Error, it.DoneAt = store.AttachDone, "", &now
		it.Resumed, it.Moved, it.Again = p.from, p.done-p.from, again
	})
	if err != nil {
		return err
	}
	x.n.log.Info("attachment uploaded", "message", j.MessageID, "attachment", it.Name, "size", it.Size, "resumed_from", p.from, "moved", p.done-p.from, "moved_again", again)
	if cur.Complete() {
		x.n.pub.unhold(j.MessageID)
	}
	return nil
}

// download fetches item i of a message received, checks it against its
// manifest and the hub's record, and keeps its ciphertext. What a prefetch
// fetched is resumed from, or taken whole with what its check found.
func (x *transfers) download(ctx context.Context, c *attach.Client, j *store.AttachJob, i int) error {
	it := &j.Items[i]
	rec, _, err := c.Stat(ctx, it.Object)
	var se *attach.ServiceError
	if errors.As(err, &se) && se.Code == protocol.AttachForbidden {
		// This node is a recipient the signed manifest names: the hub
		// no longer has the object.
		return x.refuse(ctx, j, i, goneWhy+" ("+se.Msg+")")
	}
	if why, ok := permanent(err); ok {
		return x.refuse(ctx, j, i, why)
	}
	if err != nil {
		return err
	}
	if rec.Owner != j.From || rec.Message != j.MessageID || rec.CipherSHA256 != it.CipherSHA256 || rec.CipherSize != it.CipherSize {
		return x.refuse(ctx, j, i, fmt.Sprintf("the hub's object %s (from %s, message %s, %d bytes) is not the one the manifest names", it.Object, rec.Owner, rec.Message, rec.CipherSize))
	}
	unlock := x.objects.lock(it.Object)
	defer unlock()
	defer x.untrack(it.Object)
	path := x.n.attachPath(store.DirectionIn, it.Object)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	part := path + ".part"
	again := c.Again.Load()
	x.mu.Lock()
	res := x.checked[it.Object]
	delete(x.checked, it.Object)
	x.mu.Unlock()
	var p progress
	if res == nil {
		res, err = x.fetchPart(ctx, c, part, it.Object, it.CipherSize, 0)
		p, _ = x.progress(it.Object)
	} else {
		p.done, p.from = it.CipherSize, it.CipherSize
	}
	again = c.Again.Load() - again
	if why, ok := permanent(err); ok {
		os.Remove(part)
		return x.refuse(ctx, j, i, why)
	}
	if err != nil {
		return err
	}
	if why := res.mismatch(it); why != "" {
		os.Remove(part)
		return x.refuse(ctx, j, i, why)
	}
	if err := os.Rename(part, path); err != nil {
		return err
	}
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		return err
	}
	if err := x.record(ctx, "attachment-received", j, it, ""); err != nil {
		return err
	}
	now := x.n.o.Now()
	cur, err := x.update(j, i, func(it *store.AttachItem) {
		it.State, it.Error, it.DoneAt = store.AttachDone, "", &now
		it.Resumed, it.Moved, it.Again = p.from, p.done-p.from, again
	})
	if err != nil {
		return err
	}
	x.n.log.Info("attachment received", "message", j.MessageID, "from", j.From, "attachment", it.Name, "size", it.Size, "resumed_from", p.from, "moved", p.done-p.from, "moved_again", again)
	// The receipt first: the hub's deletion of the object (its chunks
	// purged) does not hold it up.
	if cur.Complete() {
		err = x.n.deliveredAfterAttachments(ctx, j.MessageID)
	}
	if err := c.Done(ctx, it.Object); err != nil {
		x.n.log.Warn("attachments: cannot tell the hub an attachment arrived; it keeps it until its retention", "object", it.Object, "err", err)
	}
	return err
}

// goneWhy begins the reason of a received attachment the hub no longer
// has.
const goneWhy = "it is no longer at the hub: deleted at the network's retention, or it was never uploaded whole"

// fetchNow fetches item idx of received message id now and waits until it
// is here, refused, or ctx ends.
func (x *transfers) fetchNow(ctx context.Context, id string, idx int) (*store.AttachItem, error) {
	j := &store.AttachJob{Direction: store.DirectionIn, MessageID: id}
	cur, err := x.update(j, idx, func(it *store.AttachItem) {
		if it.State == store.AttachWaiting {
			it.State = store.AttachPending
		}
		it.Tried = nil
	})
	if err != nil {
		return nil, err
	}
	x.wake()
	for first := true; ; first = false {
		x.mu.Lock()
		changed := x.changed
		x.mu.Unlock()
		if err := x.n.store.View(func(tx *store.Tx) error {
			var err error
			cur, err = tx.AttachJob(store.DirectionIn, id)
			return err
		}); err != nil {
			return nil, err
		}
		it := cur.Items[idx]
		switch {
		case it.State == store.AttachDone:
			return &it, nil
		case it.State == store.AttachRefused && !first && it.Tried != nil && strings.HasPrefix(it.Error, goneWhy):
			return nil, notFound("ask "+cur.From+" to send the file again",
				"attachment %s of message %s cannot be fetched: %s", it.Name, id, it.Error)
		case it.State == store.AttachRefused && !first && it.Tried != nil:
			return nil, notReady("the node asks for it again later; 'casenode show "+id+"' shows its state",
				"attachment %s of message %s was refused: %s", it.Name, id, it.Error)
		}
		select {
		case <-ctx.Done():
			return nil, notReady("the node goes on fetching it; run the command again later", "attachment %s of message %s is not here yet", it.Name, id)
		case <-changed:
		case <-time.After(time.Second):
		}
	}
}

// deliveredAfterAttachments signs, records and queues the delivered
// receipt of a message whose attachments are all here.
func (n *Node) deliveredAfterAttachments(ctx context.Context, id string) error {
	var e *store.InboxEntry
	if err := n.store.View(func(tx *store.Tx) error {
		var err error
		e, err = tx.Inbox(id)
		return err
	}); err != nil || e == nil || e.Receipt != nil {
		return err
	}
	rf := n.rosterNow()
	if rf == nil {
		return nil
	}
	res := &result{hash: e.Hash}
	n.replyTo(res, rf, e.Header, protocol.ReceiptDelivered, "", n.o.Now())
	q := res.reply
	if q == nil {
		return nil
	}
	if _, err := n.audit.AppendBatch(ctx, []auditlog.Entry{{Type: auditlog.TypeReceipt, Actor: n.cfg.Agency, MessageID: id, Payload: q.JWS}}); err != nil {
		return fmt.Errorf("record the delivered receipt of %s: %w", id, err)
	}
	if err := n.store.Commit(func(tx *store.Tx) error {
		if err := tx.SetInboxReceipt(id, q.ID, q.JWS); err != nil {
			return err
		}
		return tx.QueueReceipt(q)
	}); err != nil {
		return fmt.Errorf("queue the delivered receipt of %s: %w", id, err)
	}
	n.pub.addReceipts([]*store.QueuedReceipt{q})
	return nil
}

// declare declares a message's attachments at the hub before the message
// is recorded, when the node is connected: a refusal (over the network's
// size limit or the agency's quota) then fails the send, naming the
// limit. Offline, the attachments are declared when they are uploaded.
func (x *transfers) declare(ctx context.Context, j *store.AttachJob) error {
	c := x.client.Load()
	if c == nil {
		return nil
	}
	if online, _ := x.n.hub.watch(); !online {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for i, it := range j.Items {
		err := c.Declare(ctx, it.Object, &protocol.AttachNewRequest{CipherSHA256: it.CipherSHA256, CipherSize: it.CipherSize, Index: i, Message: j.MessageID, To: j.To})
		if err := declareRefusal(err, it.Name); err != nil {
			return err
		}
	}
	return nil
}
