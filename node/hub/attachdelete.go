package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Deleting an object its sender abandoned (docs/PROTOCOL.md, attachments,
// delete): the sender's node asks when a message held in its outbox is
// cancelled, so that the chunks it uploaded do not count against its quota
// until the retention. The hub deletes only what no message it stores
// names: once a copy of the message is in the messages stream, its
// recipients are owed the object, and only their confirmations or the
// retention delete it.

// referenceSkew is how long before an object's declaration the messages
// stream is searched for a message naming it: the servers of a cluster
// stamp records and messages with their own clocks.
const referenceSkew = time.Minute

// referenceBatch is how many message headers one fetch of the search reads.
const referenceBatch = 256

// abandon deletes object r at the request of agency, its sender.
func (s *attachService) abandon(ctx context.Context, r *attachRecord, req *protocol.AttachRequest) error {
	if req.Agency != r.Owner {
		s.refused(req.Agency, "attachment delete refused: not the object's sender", "object", req.Object, "owner", r.Owner)
		return refuse(protocol.AttachForbidden, "only the sender of object %s may delete it; %s is one of its recipients", req.Object, req.Agency)
	}
	named, err := s.referenced(ctx, r)
	if err != nil {
		return err
	}
	if named {
		s.refused(req.Agency, "attachment delete refused: a message stored at the hub names the object", "object", req.Object, "message", r.Message)
		return refuse(protocol.AttachPublished, "object %s cannot be deleted: message %s, which names it, is already at the hub; its recipients' confirmations or the network's retention delete it", req.Object, r.Message)
	}
	if err := s.remove(ctx, req.Object, r); err != nil {
		return err
	}
	s.log.Info("attachment deleted: its sender abandoned it", "object", req.Object, "owner", r.Owner, "message", r.Message, "size", r.CipherSize)
	return nil
}

// refused records a refused request of agency's in the hub's refusals
// (refusals.go) and logs it.
func (s *attachService) refused(agency, msg string, args ...any) {
	s.counts.refusedRequest(agency)
	s.log.Warn(msg, append([]any{"member", agency}, args...)...)
}

// referenced reports whether the messages stream holds a copy of r's
// message from its sender to any of its recipients, stored since shortly
// before r was declared: the hub stamps every copy it stores with the
// sender's publication id, HubPublishID(sender, PublishID(message, to)).
// It reads the headers of the sender's messages to those recipients only.
func (s *attachService) referenced(ctx context.Context, r *attachRecord) (bool, error) {
	ms, err := s.js.Stream(ctx, protocol.StreamName(s.network))
	if err != nil {
		return false, fmt.Errorf("messages stream: %w", err)
	}
	want := map[string]bool{}
	var filters []string
	for _, to := range r.To {
		want[protocol.HubPublishID(r.Owner, protocol.PublishID(r.Message, to))] = true
		filters = append(filters, "casenet."+s.network+".msg."+r.Owner+"."+to+".>")
	}
	start := r.Created.Add(-referenceSkew)
	cons, err := ms.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: filters, DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime: &start, HeadersOnly: true, InactiveThreshold: time.Minute})
	if err != nil {
		return false, fmt.Errorf("search the messages stream: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("search the messages stream: %w", err)
	}
	if info.NumPending == 0 {
		return false, nil
	}
	for {
		b, err := cons.Fetch(referenceBatch, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return false, fmt.Errorf("search the messages stream: %w", err)
		}
		got, last := 0, false
		for m := range b.Messages() {
			got++
			if want[m.Headers().Get(jetstream.MsgIDHeader)] {
				return true, nil
			}
			if md, err := m.Metadata(); err == nil && md.NumPending == 0 {
				last = true
			}
		}
		if err := b.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return false, fmt.Errorf("search the messages stream: %w", err)
		}
		if last || got == 0 {
			return false, nil
		}
	}
}
