package agency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/attach"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
)

// Cancelling a message held in the outbox: a message with attachments is
// published only once they are all at the hub, and one the hub refused
// (over the agency's quota, over the network's size limit) waits there
// until someone withdraws it. The cancel is one commit of the node's file:
// its access record in the audit log, every copy cancelled (final: the
// publisher never loads it again, not after a restart either) and the
// attachments cancelled. The node then stops their uploads, removes their
// encrypted files, and asks the hub to delete what it has of them (the
// transfer loop, retried until the hub answers). The message stays in the
// outbox, marked cancelled.

// cancelAction is the action of the access record of a cancel.
const cancelAction = "outbox-cancel"

// cancelRecord is the payload of that record.
type cancelRecord struct {
	Action    string          `json:"action"`
	MessageID string          `json:"message_id"`
	Direction store.Direction `json:"direction"`
	Detail    string          `json:"detail"`
	Via       string          `json:"via,omitempty"`
	Label     string          `json:"label,omitempty"`
}

// CancelOutbox withdraws sent message id, which is held in the outbox
// because its attachments are not all at the hub: it is never published.
// A message that may already be at the hub (no attachments held back, a
// copy acknowledged by the hub) cannot be withdrawn. The cancel is
// recorded in the audit log under actor's name. It returns the message as
// the outbox now shows it.
func (n *Node) CancelOutbox(ctx context.Context, actor Actor, id string) (*OutboxItem, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	if err := protocol.ValidateMessageID(id); err != nil {
		return nil, invalid("'casenode outbox' lists the messages sent with their ids", "%v", err)
	}
	var detail string
	if err := n.store.View(func(tx *store.Tx) error {
		e, j, err := cancellable(tx, id)
		if err == nil {
			detail = cancelDetail(e, j)
		}
		return err
	}); err != nil {
		return nil, err
	}
	b, err := json.Marshal(cancelRecord{Action: cancelAction, MessageID: id, Direction: store.DirectionOut, Detail: detail, Via: actor.Via, Label: actor.label()})
	if err != nil {
		return nil, err
	}
	now := n.o.Now().UTC()
	var objects []string
	write := func(btx *bolt.Tx) error {
		return n.store.Apply(btx, func(tx *store.Tx) error {
			e, j, err := cancellable(tx, id)
			if err != nil {
				return err
			}
			for _, to := range e.Recipients() {
				if _, err := tx.UpdateCopy(id, to, func(c *store.Copy) bool { return c.Advance(store.CopyCancelled, "", now) }); err != nil {
					return err
				}
			}
			j.Cancelled = &now
			objects = objects[:0]
			for i := range j.Items {
				j.Items[i].State, j.Items[i].Tried, j.Items[i].Attempts = store.AttachCancelled, nil, 0
				objects = append(objects, j.Items[i].Object)
			}
			return tx.PutAttachJob(j)
		})
	}
	p := n.audit.AppendWith(write, auditlog.Entry{Type: auditlog.TypeAccess, Actor: actor.Name, MessageID: id, Payload: b})
	// Waited for whatever ctx says: once queued, the cancel is committed
	// or not as a whole, and what follows it must run if it is.
	if _, err := p.Wait(context.Background()); err != nil {
		var he *hint.Error
		if errors.As(err, &he) {
			return nil, err
		}
		return nil, fmt.Errorf("record the cancel of %s: %w", id, err)
	}
	n.log.Info("message cancelled in the outbox: it is not published", "message", id, "actor", actor.Name)
	if pub := n.pub; pub != nil {
		pub.cancel(id)
	}
	n.xfer.abandon(objects)
	items, err := n.Outbox(ctx, OutboxQuery{})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.ID == id {
			return it, nil
		}
	}
	return nil, fmt.Errorf("message %s left the outbox", id)
}

// cancellable returns the outbox entry and the attachments of message id
// if it can be withdrawn, or the error that says why not.
func cancellable(tx *store.Tx, id string) (*store.OutboxEntry, *store.AttachJob, error) {
	e, err := tx.Outbox(id)
	if err != nil {
		return nil, nil, err
	}
	if e == nil {
		return nil, nil, notFound("'casenode outbox' lists the messages sent with their ids", "no message %s in the outbox", id)
	}
	const published = "a message that may be at the hub cannot be withdrawn: send its recipients a new message that says what to disregard"
	var moved []string
	for _, to := range e.Recipients() {
		switch c := e.Copies[to]; c.State {
		case store.CopyCancelled:
			return nil, nil, conflict("'casenode outbox' shows it marked cancelled", "message %s was already cancelled on %s", id, c.Cancelled.UTC().Format(time.RFC3339))
		case store.CopyQueued:
		default:
			moved = append(moved, to+" "+string(c.State))
		}
	}
	if len(moved) > 0 {
		return nil, nil, conflict(published, "message %s was already published (%s): it cannot be cancelled", id, strings.Join(moved, ", "))
	}
	j, err := tx.AttachJob(store.DirectionOut, id)
	if err != nil {
		return nil, nil, err
	}
	if j == nil {
		return nil, nil, conflict(published, "message %s is not held in the outbox (it has no attachments): it was queued for publication when it was sent and may already be at the hub, so it cannot be cancelled", id)
	}
	if j.Complete() {
		return nil, nil, conflict(published, "message %s is no longer held: its attachments are all at the hub and it was released for publication, so it cannot be cancelled", id)
	}
	return e, j, nil
}

// cancelDetail says what was withdrawn and why it was held, for the audit
// record.
func cancelDetail(e *store.OutboxEntry, j *store.AttachJob) string {
	var held []string
	for _, it := range j.Items {
		s := fmt.Sprintf("%q (%d bytes) %s", it.Name, it.Size, it.State)
		if it.Error != "" {
			s += ": " + it.Error
		}
		held = append(held, s)
	}
	return fmt.Sprintf("withdrawn before publication: %s message to %s, held for its attachments: %s",
		e.Header.MsgType, strings.Join(e.Recipients(), ", "), strings.Join(held, "; "))
}

// cancel drops the copies of message id: it was withdrawn.
func (p *publisher) cancel(id string) {
	p.mu.Lock()
	var tos []string
	for _, c := range p.copies {
		if c.key.id == id && !c.done {
			tos = append(tos, c.key.to)
		}
	}
	p.mu.Unlock()
	for _, to := range tos {
		p.resolve(id, to)
	}
}

// abandon stops the uploads of objects, whose message was withdrawn, and
// removes their encrypted files; the transfer loop then asks the hub to
// delete them.
func (x *transfers) abandon(objects []string) {
	x.mu.Lock()
	for _, o := range objects {
		for _, stop := range x.uploads[o] {
			stop()
		}
	}
	x.mu.Unlock()
	for _, o := range objects {
		x.unspoolObject(o)
	}
	x.notify()
	x.wake()
}

// unspoolObject removes the encrypted file of a withdrawn object, once no
// upload reads it.
func (x *transfers) unspoolObject(object string) {
	unlock := x.objects.lock(object)
	defer unlock()
	path := x.n.attachPath(store.DirectionOut, object)
	if err := os.Remove(path); err == nil {
		x.n.log.Info("attachments: removed the encrypted file of a cancelled message", "object", object)
	}
}

// uploading registers the upload of object under way, so that a cancel
// stops it: it returns the upload's context and what to call once it
// ends.
// An object may have two: the one started while the message was sent
// (eager.go), and the transfer loop's, waiting for it.
func (x *transfers) uploading(ctx context.Context, object string) (context.Context, func()) {
	uctx, stop := context.WithCancel(ctx)
	x.mu.Lock()
	x.lastUpload++
	id := x.lastUpload
	if x.uploads[object] == nil {
		x.uploads[object] = map[uint64]context.CancelFunc{}
	}
	x.uploads[object][id] = stop
	x.mu.Unlock()
	return uctx, func() {
		x.mu.Lock()
		delete(x.uploads[object], id)
		if len(x.uploads[object]) == 0 {
			delete(x.uploads, object)
		}
		x.mu.Unlock()
		stop()
	}
}

// withdrawn reports whether message id sent was cancelled.
func (x *transfers) withdrawn(id string) bool {
	var j *store.AttachJob
	if err := x.n.store.View(func(tx *store.Tx) error {
		var err error
		j, err = tx.AttachJob(store.DirectionOut, id)
		return err
	}); err != nil || j == nil {
		return false
	}
	return j.Cancelled != nil
}

// deleteAbandoned asks the hub to delete the object of item i of a
// cancelled message, and records that it did.
func (x *transfers) deleteAbandoned(ctx context.Context, c *attach.Client, j *store.AttachJob, i int) error {
	it := &j.Items[i]
	x.unspoolObject(it.Object)
	dctx, cancel := context.WithTimeout(ctx, declareTimeout)
	err := c.Delete(dctx, it.Object)
	cancel()
	now := x.n.o.Now()
	why := ""
	if err != nil {
		if _, ok := permanent(err); !ok {
			return err
		}
		if !goneAtHub(err) {
			why = err.Error()
			x.n.log.Error("attachments: the hub refused to delete the object of a cancelled message; it keeps it until the network's retention", "message", j.MessageID, "attachment", it.Name, "err", err)
		}
	}
	err = x.n.store.Commit(func(tx *store.Tx) error {
		cur, err := tx.AttachJob(j.Direction, j.MessageID)
		if err != nil || cur == nil {
			return err
		}
		ci := &cur.Items[i]
		ci.Tried = &now
		if why == "" {
			ci.Deleted = &now
		} else {
			ci.Error = "the hub keeps it: " + why
			ci.Attempts++
		}
		return tx.PutAttachJob(cur)
	})
	x.notify()
	if err == nil && why == "" {
		x.n.log.Info("attachments: the hub deleted the object of a cancelled message", "message", j.MessageID, "attachment", it.Name)
	}
	return err
}

// goneAtHub reports whether the hub answered that it does not have the
// object (for its sender: deleted, or never declared).
func goneAtHub(err error) bool {
	var se *attach.ServiceError
	return errors.As(err, &se) && se.Code == protocol.AttachForbidden
}

// discard withdraws the attachments of message id, which was not
// recorded (its send failed after they were declared, while they were
// encrypted): it stops their uploads and asks the hub to delete them, in
// the background, while the node runs. A node that stops meanwhile leaves
// them to the network's retention.
func (x *transfers) discard(id string, count int) {
	objects := make([]string, count)
	for i := range objects {
		objects[i] = protocol.AttachmentObject(x.n.cfg.Agency, id, i)
	}
	x.mu.Lock()
	for _, o := range objects {
		for _, stop := range x.uploads[o] {
			stop()
		}
	}
	run := x.runCtx
	c := x.client.Load()
	if run == nil || c == nil {
		x.mu.Unlock()
		return
	}
	x.eagers.Add(1)
	x.mu.Unlock()
	go func() {
		defer x.eagers.Done()
		for _, o := range objects {
			// Once the upload under way stopped.
			x.objects.lock(o)()
			ctx, cancel := context.WithTimeout(run, time.Minute)
			err := c.Delete(ctx, o)
			cancel()
			switch {
			case err == nil:
				x.n.log.Info("attachments: the hub deleted the object of a send that failed", "message", id, "object", o)
			case !goneAtHub(err):
				x.n.log.Warn("attachments: cannot delete the object of a send that failed; the hub keeps it until the network's retention", "message", id, "object", o, "err", err)
			}
		}
	}()
}
