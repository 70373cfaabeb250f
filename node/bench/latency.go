package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/casenode/casenode/node"
	"github.com/casenode/casenode/protocol"
)

// Latency offers messages from one agency to another at a fixed rate for
// the given number of messages, then measures, per message, send → in the
// recipient's inbox and send → the delivered receipt back at the sender.
// Times are taken from the message's creation (millisecond precision), the
// recipient's acceptance and the receipt's processing.
func Latency(ctx context.Context, dir string, kind protocol.RecipientKind, perSecond float64, messages int, body []byte) (Result, error) {
	ln, ids, err := netFor(ctx, dir, kind, 2)
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	sender, recipient := ln.Node(ids[0]), ln.Node(ids[1])
	interval := time.Duration(float64(time.Second) / perSecond)
	var wg sync.WaitGroup
	errc := make(chan error, messages)
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
			if _, err := sender.Send(ctx, "bench", node.SendRequest{To: []string{ids[1]}, Type: protocol.TypeLead, Body: body}); err != nil {
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
	in, err := recipient.Inbox(ctx, node.InboxQuery{})
	if err != nil {
		return Result{}, err
	}
	var toInbox, toReceipt []time.Duration
	for _, m := range in {
		toInbox = append(toInbox, m.Received.Sub(m.Created))
	}
	out, err := sender.Outbox(ctx, node.OutboxQuery{})
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
		Latency: map[string]Percentiles{"send_to_inbox": percentiles(toInbox), "send_to_receipt": percentiles(toReceipt)},
	}, nil
}
