package agency

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
)

// decision is what the committer does with one job, after the store had
// its say (duplicates, conflicts, receipts that match the outbox).
type decision struct {
	j *job
	// attach: a message with attachments, to fetch once it is stored.
	attach bool
	// dup: the inbox already holds this exact message: acknowledge it and
	// send its delivered receipt again.
	dup bool
	// resent: the delivered receipt to send again is the one signed and
	// recorded when the message was accepted.
	resent bool
	// known: a receipt that moves its copy no further than the receipts
	// before it (a replay, or a delivered receipt after the read one):
	// acknowledged, not recorded again.
	known bool
	// matched: a receipt for a copy in the outbox.
	matched bool
	// later: another copy of this message is being recorded: JetStream
	// delivers this one again once that is done with, to be acknowledged
	// as a duplicate, or recorded should the other copy fail.
	later bool
}

// recording is a batch being committed: its audit records and what it
// writes to the store, in one transaction of the node's file.
type recording struct {
	ds      []*decision
	commit  *auditlog.Pending
	entries []auditlog.Entry // the audit records, to write again after a full disk
	replies []*store.QueuedReceipt
	fresh   []string // ids of the new messages, in flight until stored
	now     time.Time
}

// record is the first stage of committing a batch of verified jobs, in
// order: it classifies them against the store and the batches still in
// flight, and queues, for one transaction of the node's file, their audit
// records (received messages, rejections with their bytes, receipts sent
// and received) and what they change in the store (inbox, threads,
// contacts, rejections, the receipts to publish, the outbox states). The
// audit log's committer writes it with whatever else is queued meanwhile.
// The second stage, persist, waits for it to be durable.
func (n *Node) record(batch []*job) *recording {
	now := n.o.Now()
	ds, fresh, err := n.classify(batch, now)
	if err != nil {
		n.retryLater(batch, "read the store", err)
		return nil
	}
	var entries []auditlog.Entry
	for _, d := range ds {
		entries = append(entries, auditEntries(d, n.cfg.Agency, n.keptRejections.keep(&d.j.res, now))...)
	}
	r := &recording{ds: ds, fresh: fresh, now: now, entries: entries}
	r.commit = n.audit.AppendWith(r.write(n), entries...)
	return r
}

// write writes a recorded batch to the store, in the transaction that
// appends its audit records.
func (r *recording) write(n *Node) func(btx *bolt.Tx) error {
	return func(btx *bolt.Tx) error {
		return n.store.Apply(btx, func(tx *store.Tx) error {
			r.replies = nil
			for _, d := range r.ds {
				if err := n.storeDecision(tx, d, r.now); err != nil {
					return err
				}
				if d.j.res.reply != nil {
					if err := tx.QueueReceipt(d.j.res.reply); err != nil {
						return err
					}
					r.replies = append(r.replies, d.j.res.reply)
				}
			}
			return nil
		})
	}
}

// maxPersist bounds the recorded batches persist waits for at a time.
const maxPersist = 16

// persist is the second stage: it waits for the recorded batches to be
// durable, in order — their audit records and their store changes, in one
// commit — and then acknowledges the jobs to JetStream (a rejected input
// is terminated so that it is not delivered again) and hands the receipts
// to the publisher.
//
// When the disk is full, persist holds the batches, unacknowledged, and
// tries the write that failed again until it succeeds or ctx ends,
// telling JetStream that the messages are in progress: the pipeline
// behind it stops, so the node takes no more input until its file can be
// written, and resumes on its own. Any other failure, or the end of ctx,
// gives the batches back to JetStream, which delivers them again: nothing
// of them was written.
func (n *Node) persist(ctx context.Context, rs []*recording) {
	defer func() {
		for _, r := range rs {
			n.inflight.remove(r.fresh)
		}
	}()
	for _, r := range rs {
		start := r.now
		var err error
		for attempt := 0; ; attempt++ {
			_, err = r.commit.Wait(context.Background())
			if err == nil || !n.writes.retry(ctx, n, "the audit log and the store", err, attempt, r.jobs()) {
				break
			}
			r.commit = n.audit.AppendWith(r.write(n), r.entries...)
		}
		if err != nil {
			n.retryLater(r.jobs(), "record in the audit log and the store", err)
			continue
		}
		n.observeCommit("receive", start)
		n.writes.ok(n)
		for _, d := range r.ds {
			n.acknowledge(d)
			if d.attach {
				n.xfer.wake()
			}
		}
		n.pub.addReceipts(r.replies)
	}
}

// jobs returns the jobs of a recorded batch.
func (r *recording) jobs() []*job {
	out := make([]*job, len(r.ds))
	for i, d := range r.ds {
		out[i] = d.j
	}
	return out
}

// acknowledge tells JetStream that a job is done with: acknowledged, or
// terminated if it was rejected, and lets the publisher drop a copy its
// recipient answered.
func (n *Node) acknowledge(d *decision) {
	res := &d.j.res
	if d.later {
		if err := d.j.msg.NakWithDelay(time.Second); err != nil {
			n.log.Debug("nak", "err", err)
		}
		return
	}
	if res.kind == kindWitness && res.retry != nil {
		n.log.Warn("peer witness message not acted on; it will be delivered again", "from", res.from, "err", res.retry)
		if err := d.j.msg.NakWithDelay(5 * time.Second); err != nil {
			n.log.Debug("nak", "err", err)
		}
		return
	}
	switch {
	case res.kind == kindRejected:
		n.counts.add(&n.counts.c.Rejected, string(res.reason))
	case res.kind == kindMessage && !d.dup:
		n.counts.add(&n.counts.c.Received, string(res.opened.Header.MsgType))
	case res.kind == kindReceipt && d.matched && !d.known:
		n.counts.add(&n.counts.c.Receipts, string(copyState(res.receipt.Kind)))
	}
	if res.kind == kindRejected {
		n.log.Warn("input rejected", "from", res.from, "message", res.id, "reason", res.reason, "detail", res.detail, "receipt", res.reply != nil)
		if err := d.j.msg.Term(); err != nil {
			n.log.Debug("terminate", "err", err)
		}
	} else if err := d.j.msg.Ack(); err != nil {
		n.log.Debug("acknowledge", "err", err)
	}
	if d.matched && copyState(res.receipt.Kind).Final() {
		n.pub.resolve(res.receipt.MessageID, res.receipt.From)
	}
}

// classify looks each job up in the batches in flight and in the store: a
// message already there is a duplicate if its bytes are the same and a
// conflict otherwise; a receipt matches the outbox if the copy exists and
// the hash is the one sent. It marks the new messages in flight and
// returns their ids.
func (n *Node) classify(batch []*job, now time.Time) (ds []*decision, fresh []string, err error) {
	ds = make([]*decision, len(batch))
	seen := map[receiptKey]bool{}
	err = n.store.View(func(tx *store.Tx) error {
		for i, j := range batch {
			d := &decision{j: j}
			ds[i] = d
			res := &j.res
			switch res.kind {
			case kindMessage:
				h := res.opened.Header
				hash, ok := n.inflight.get(h.ID)
				if ok && hash == res.hash {
					d.later, res.reply = true, nil
					break
				}
				var e *store.InboxEntry
				if !ok {
					var err error
					if e, err = tx.Inbox(h.ID); err != nil {
						return err
					}
					if e != nil {
						hash, ok = e.Hash, true
					}
				}
				switch {
				case !ok:
					n.inflight.add(h.ID, res.hash)
					fresh = append(fresh, h.ID)
				case hash == res.hash:
					d.dup = true
					if e != nil && e.Receipt != nil {
						res.reply = &store.QueuedReceipt{ID: e.ReceiptID, To: h.From, Kind: protocol.ReceiptDelivered, JWS: e.Receipt}
						d.resent = true
					}
				default:
					n.conflict(res, hash, now)
				}
			case kindReceipt:
				r := res.receipt
				e, err := tx.Outbox(r.MessageID)
				if err != nil {
					return err
				}
				switch {
				case e == nil:
					res.refuse(protocol.ReasonUnknownMessage, fmt.Sprintf("a %s receipt about message %s, which is not in the outbox: this agency did not send it (with its key, someone may have)", r.Kind, r.MessageID))
				case e.Copies[r.From] == nil:
					res.refuse(protocol.ReasonUnknownMessage, fmt.Sprintf("a %s receipt about message %s, which was not sent to %s", r.Kind, r.MessageID, r.From))
				case e.Hash != r.MessageHash:
					n.log.Error("receipt for other content under a message id this agency sent: was its key used elsewhere?", "from", r.From, "message", r.MessageID, "kind", r.Kind, "reason", r.Reason)
					res.refuse(protocol.ReasonConflict, fmt.Sprintf("a %s receipt about other content (SHA-256 %s) than message %s this agency sent (SHA-256 %s)", r.Kind, r.MessageHash, r.MessageID, e.Hash))
				default:
					d.matched = true
					c := *e.Copies[r.From]
					k := receiptKey{r.MessageID, r.From, r.Kind}
					if !c.Advance(copyState(r.Kind), r.Reason, r.Time.Time) || seen[k] {
						d.known = true
					}
					seen[k] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		n.inflight.remove(fresh)
		return nil, nil, err
	}
	return ds, fresh, nil
}

// receiptKey identifies a receipt's effect on the outbox.
type receiptKey struct {
	id, from string
	kind     protocol.ReceiptKind
}

// refuse turns a valid receipt into a rejection for reason: it is
// recorded as what it is, not as a receipt.
func (res *result) refuse(reason protocol.Reason, detail string) {
	res.kind, res.reason, res.detail = kindRejected, reason, detail
	res.receipt = nil
}

// conflict turns a valid message into a rejection: another message with
// the same id and other content is already in the inbox.
func (n *Node) conflict(res *result, held string, now time.Time) {
	h := res.opened.Header
	res.kind = kindRejected
	res.reason = protocol.ReasonConflict
	res.detail = fmt.Sprintf("the inbox holds another message with id %s (SHA-256 %s, this one %s)", h.ID, held, res.hash)
	res.from, res.id = h.From, h.ID
	res.opened, res.contact, res.reply = nil, nil, nil
	if rf := n.rosterNow(); rf != nil && h.From == res.publisher {
		n.replyTo(res, rf, h, protocol.ReceiptRejected, protocol.ReasonConflict, now)
	}
}

// auditEntries are the audit records of one decision. keepRaw says
// whether a rejection keeps the input's bytes or only their hash and size.
func auditEntries(d *decision, me string, keepRaw bool) []auditlog.Entry {
	res := &d.j.res
	var out []auditlog.Entry
	if d.later {
		return nil
	}
	switch res.kind {
	case kindMessage:
		if !d.dup {
			h := res.opened.Header
			out = append(out, auditlog.Entry{Type: auditlog.TypeReceived, Actor: h.From, MessageID: h.ID, Payload: res.raw, Hub: res.stamp})
		}
	case kindReceipt:
		if !d.known {
			out = append(out, auditlog.Entry{Type: auditlog.TypeReceipt, Actor: res.receipt.From, MessageID: res.receipt.MessageID, Payload: res.raw, Hub: res.stamp})
		}
	case kindRejected:
		rj := auditlog.NewRejection(res.reason, res.detail, res.raw)
		rj.Publisher = res.publisher
		if !keepRaw {
			rj.Withhold()
		}
		out = append(out, rj.Entry(res.from, res.id))
	}
	if res.reply != nil && !d.resent {
		out = append(out, auditlog.Entry{Type: auditlog.TypeReceipt, Actor: me, MessageID: res.id, Payload: res.reply.JWS})
	}
	return out
}

// storeDecision writes one decision to the store.
func (n *Node) storeDecision(tx *store.Tx, d *decision, now time.Time) error {
	res := &d.j.res
	if d.later {
		return nil
	}
	switch res.kind {
	case kindMessage:
		if d.dup {
			return nil
		}
		o := res.opened
		e := &store.InboxEntry{Header: o.Header, Body: json.RawMessage(o.Body), Hash: res.hash, Size: len(res.raw), Received: now}
		if res.reply != nil {
			e.ReceiptID, e.Receipt = res.reply.ID, res.reply.JWS
		}
		if err := tx.AddInbox(e); err != nil {
			return err
		}
		if len(o.Attachments) > 0 {
			if err := tx.PutAttachJob(n.receivedAttachments(o)); err != nil {
				return err
			}
			d.attach = true
		}
		if res.contact != nil {
			if _, err := tx.OfferContact(&store.Contact{Card: res.contact, MessageID: o.Header.ID, Received: now}); err != nil {
				return err
			}
		}
	case kindReceipt:
		if !d.matched || d.known {
			return nil
		}
		r := res.receipt
		_, err := tx.UpdateCopy(r.MessageID, r.From, func(c *store.Copy) bool {
			return c.Advance(copyState(r.Kind), r.Reason, r.Time.Time)
		})
		return err
	case kindRejected:
		return tx.AddRejection(&store.Rejection{Time: now, From: res.from, MessageID: res.id, Reason: res.reason,
			Detail: res.detail, Size: len(res.raw), Receipt: res.reply != nil})
	}
	return nil
}

// recordLater writes fn to the store in the audit log's next commit, or
// in one of its own within auditlog.LaterDelay (auditlog.Log.CommitLater),
// and logs failed with the error should it fail: for what nothing is
// acknowledged on, the hub's acknowledgements of the node's publications.
// fn may run more than once (see store.Store.Commit).
func (n *Node) recordLater(failed string, fn func(tx *store.Tx) error) {
	st := n.store
	p := n.audit.CommitLater(func(btx *bolt.Tx) error { return st.Apply(btx, fn) })
	go func() {
		if _, err := p.Wait(context.Background()); err != nil {
			n.log.Error(failed, "err", err)
		}
	}()
}

// retryLater gives a batch back to JetStream when it could not be
// recorded: nothing is acknowledged that is not durable.
func (n *Node) retryLater(batch []*job, what string, err error) {
	n.log.Error("cannot "+what+"; the messages will be delivered again", "count", len(batch), "err", err)
	for _, j := range batch {
		if err := j.msg.NakWithDelay(5 * time.Second); err != nil {
			n.log.Debug("nak", "err", err)
		}
	}
}

// inflight holds the messages recorded but not yet stored, by id, with
// their hash: the next batches are classified against them.
type inflight struct {
	mu sync.Mutex
	m  map[string]string
}

func (f *inflight) get(id string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.m[id]
	return h, ok
}

func (f *inflight) add(id, hash string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]string{}
	}
	f.m[id] = hash
}

func (f *inflight) remove(ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		delete(f.m, id)
	}
}
