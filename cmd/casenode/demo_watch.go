package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/casenode/casenode/node/agency"
)

// demoTimeout bounds each wait of the demo: far more than any step takes.
const demoTimeout = 30 * time.Second

// waitFor polls cond until it holds, ctx ends or demoTimeout passes.
func (d *demo) waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(demoTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return withHint(fmt.Errorf("demo: timed out after %s waiting for %s", demoTimeout, what),
				"the machine may be very busy: try again, or run 'casenode demo --dir DIR' and replay the nodes' audit logs")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// demoCopyState is a state of a sent copy that a receipt (or the hub's
// acknowledgement) brings, and what it means.
type demoCopyState struct {
	state   agency.CopyState
	at      func(c *agency.Copy) *time.Time
	meaning string
}

// demoCopyStates are the states the demo narrates, in order.
func demoCopyStates() []demoCopyState {
	return []demoCopyState{
		{agency.CopyRelayed, func(c *agency.Copy) *time.Time { return c.Relayed },
			"the hub acknowledged the copy: it keeps it on disk for the recipient"},
		{agency.CopyDelivered, func(c *agency.Copy) *time.Time { return c.Delivered },
			"the recipient's node verified, decrypted and stored it: signed receipt"},
		{agency.CopyRead, func(c *agency.Copy) *time.Time { return c.Read },
			"someone at the recipient opened it: a second signed receipt"},
	}
}

// follow polls the sender's outbox and narrates each recipient's copy of
// message id as receipts move it through the states, until every copy
// has reached until. Each state of a copy is told once.
func (d *demo) follow(ctx context.Context, sender, id string, recipients []string, until agency.CopyState) error {
	states := demoCopyStates()
	last := 0
	for last < len(states)-1 && states[last].state != until {
		last++
	}
	shown := d.shown[id]
	if shown == nil {
		shown = map[string]int{}
		d.shown[id] = shown
	}
	n := d.net.Node(sender)
	what := fmt.Sprintf("the %s receipts of message %s at %s", until, id, sender)
	return d.waitFor(ctx, what, func() (bool, error) {
		item, err := demoOutboxItem(ctx, n, id)
		if err != nil {
			return false, err
		}
		done := true
		for _, to := range recipients {
			c := item.Copies[to]
			if c == nil {
				return false, fmt.Errorf("demo: message %s has no copy for %s", id, to)
			}
			if c.State == agency.CopyRejected {
				return false, fmt.Errorf("demo: %s rejected message %s: %s", to, id, c.Reason)
			}
			for shown[to] <= last {
				s := states[shown[to]]
				at := s.at(c)
				if at == nil {
					if demoStateIndex(c.State) <= demoStateIndex(s.state) {
						break
					}
					shown[to]++ // the copy went past this state at once
					continue
				}
				line := fmt.Sprintf("    %-7s %-22s %-10s %s", demoSince(at.Sub(item.Created)), to, s.state, d.meaning(string(s.state), s.meaning))
				d.say("%s", strings.TrimRight(line, " "))
				shown[to]++
			}
			if shown[to] <= last {
				done = false
			}
		}
		return done, nil
	})
}

// meaning returns what a state means the first time, and nothing after.
func (d *demo) meaning(key, text string) string {
	if d.explained["state:"+key] {
		return ""
	}
	d.explained["state:"+key] = true
	return text
}

// demoStateIndex orders the copy states: queued, relayed, delivered, read.
func demoStateIndex(s agency.CopyState) int {
	for i, x := range agency.CopyStates() {
		if x == s {
			return i
		}
	}
	return -1
}

// demoOutboxItem returns message id of n's outbox.
func demoOutboxItem(ctx context.Context, n *agency.Node, id string) (*agency.OutboxItem, error) {
	items, err := n.Outbox(ctx, agency.OutboxQuery{})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.ID == id {
			return it, nil
		}
	}
	return nil, fmt.Errorf("demo: message %s is not in the outbox of %s", id, n.Agency())
}

// demoSince formats the time from a message's creation to a receipt.
func demoSince(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("+%dms", max(d.Milliseconds(), 0))
	}
	return fmt.Sprintf("+%.2fs", d.Seconds())
}
