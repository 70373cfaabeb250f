package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// Latency offers messages from one agency to another at a fixed rate for
// the given number of messages, then measures, per message, from its
// creation (millisecond precision):
//
//   - send_to_inbox: until it is durable in the recipient's inbox, that is
//     its audit record and its inbox entry committed. A poller reads the
//     recipient's inbox count every millisecond; the message with inbox
//     sequence k is durable when the count first reaches k.
//   - send_to_accepted: until the recipient accepted it (the inbox entry's
//     Received time, taken when its batch is classified, before the audit
//     and inbox commits).
//   - send_to_receipt: until the recipient signed its delivered receipt (the
//     receipt's time, which the sender records as the copy's delivery).
func Latency(ctx context.Context, dir string, kind protocol.RecipientKind, perSecond float64, messages int, body []byte) (Result, error) {
	ln, ids, err := netFor(ctx, dir, kind, 2, 0)
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	sender, recipient := ln.Node(ids[0]), ln.Node(ids[1])
	interval := time.Duration(float64(time.Second) / perSecond)
	var wg sync.WaitGroup
	errc := make(chan error, messages)
	stopPoll := pollInbox(ctx, recipient)
	defer stopPoll()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	start := time.Now()
	for i := 0; i < messages; i++ {
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-tick.C:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := sender.Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "bench"}, agency.SendRequest{To: []string{ids[1]}, Type: protocol.TypeLead, Body: body}); err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return Result{}, fmt.Errorf("latency: send: %w", err)
	}
	offered := time.Since(start)
	if err := waitDelivered(ctx, sender, int64(messages)); err != nil {
		return Result{}, fmt.Errorf("latency: %w", err)
	}
	seen := stopPoll()
	in, err := recipient.Inbox(ctx, agency.InboxQuery{})
	if err != nil {
		return Result{}, err
	}
	var toInbox, toAccepted, toReceipt []time.Duration
	for _, m := range in {
		toAccepted = append(toAccepted, m.Received.Sub(m.Created))
		if m.Seq < 1 || int(m.Seq) > len(seen) {
			return Result{}, fmt.Errorf("latency: inbox sequence %d not seen by the poller (%d seen)", m.Seq, len(seen))
		}
		toInbox = append(toInbox, seen[m.Seq-1].Sub(m.Created))
	}
	out, err := sender.Outbox(ctx, agency.OutboxQuery{})
	if err != nil {
		return Result{}, err
	}
	for _, m := range out {
		if c := m.Copies[ids[1]]; c != nil && c.Delivered != nil {
			toReceipt = append(toReceipt, c.Delivered.Sub(m.Created))
		}
	}
	if len(toInbox) != messages || len(toReceipt) != messages {
		return Result{}, fmt.Errorf("latency: %d in the inbox and %d receipted, want %d", len(toInbox), len(toReceipt), messages)
	}
	return Result{
		Name:  "latency/1",
		Title: "latency at a fixed offered load, 1 agency → 1",
		Params: map[string]any{"offered_per_second": perSecond, "achieved_per_second": rate(messages, offered),
			"body_bytes": len(body), "kind": string(kind)},
		Messages: messages, Seconds: offered.Seconds(),
		Latency: map[string]Percentiles{"send_to_inbox": PercentilesOf(toInbox), "send_to_accepted": PercentilesOf(toAccepted),
			"send_to_receipt": PercentilesOf(toReceipt)},
	}, nil
}

// pollInbox reads nd's inbox count every millisecond until stop is called;
// stop returns, for each k, the first time the count was seen at k+1 or
// more. Calling stop again returns the same.
func pollInbox(ctx context.Context, nd *agency.Node) (stop func() []time.Time) {
	quit := make(chan struct{})
	done := make(chan []time.Time, 1)
	go func() {
		var seen []time.Time
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if st, err := nd.Status(ctx); err == nil {
				now := time.Now()
				for int64(len(seen)) < st.Inbox.Messages {
					seen = append(seen, now)
				}
			}
			select {
			case <-quit:
				done <- seen
				return
			case <-ctx.Done():
				done <- seen
				return
			case <-tick.C:
			}
		}
	}()
	return sync.OnceValue(func() []time.Time {
		close(quit)
		return <-done
	})
}
