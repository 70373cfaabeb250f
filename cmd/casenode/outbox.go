package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

func outboxVerbs() []nounVerb {
	return []nounVerb{
		{"list", "list the messages sent, with each recipient's state (the default)", runOutboxList},
		{"cancel", "withdraw a message held in the outbox, never published: outbox cancel ID (recorded in the audit log under your name)", runOutboxCancel},
	}
}

// runOutbox is 'casenode outbox': with no verb, or only flags, it lists.
func runOutbox(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return runOutboxList(ctx, e, args)
	}
	return dispatchVerb(ctx, e, "outbox", outboxVerbs(), args)
}

func runOutboxList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "outbox list", "")
	var cf clientFlags
	cf.register(fs)
	pending := fs.Bool("pending", false, "only messages with a copy still waiting for its recipient")
	typ := fs.String("type", "", "only messages of this type")
	caseID := fs.String("case", "", "only messages of this case")
	to := fs.String("to", "", "only messages to this agency")
	limit := fs.Int("limit", 0, "at most this many messages (0: all)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	c, err := cf.client(e, "outbox list")
	if err != nil {
		return err
	}
	ms, err := c.Outbox(ctx, agency.OutboxQuery{Pending: *pending, Type: protocol.MessageType(*typ), Case: *caseID, To: *to, Limit: max(*limit, 0)})
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, ms)
	}
	if len(ms) == 0 {
		fmt.Fprintln(e.stdout, "no messages")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tTYPE\tCASE\tID\tCOPIES")
	for _, m := range ms {
		state := copies(m.Copies)
		if s := attachSummary(m.Attachments); s != "" && !cancelled(m) {
			state = "held, uploading attachments: " + s
			for _, a := range m.Attachments {
				if a.State == "refused" {
					state = fmt.Sprintf("held, attachment %q refused by the hub ('casenode attachment list %s' says why; 'casenode outbox cancel %s' withdraws it)", a.Name, m.ID, m.ID)
					break
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", when(m.Created), m.Type, orDash(m.Case), m.ID, state)
	}
	return tw.Flush()
}

// cancelled reports whether m was withdrawn from the outbox.
func cancelled(m *agency.OutboxItem) bool {
	for _, c := range m.Copies {
		if c != nil && c.State == agency.CopyCancelled {
			return true
		}
	}
	return false
}

func runOutboxCancel(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "outbox cancel", "ID")
	var cf clientFlags
	cf.register(fs)
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("outbox cancel", "give one message id, as 'casenode outbox' shows it")
	}
	c, err := cf.client(e, "outbox cancel")
	if err != nil {
		return err
	}
	m, err := c.CancelOutbox(ctx, fs.Arg(0))
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, m)
	}
	fmt.Fprintf(e.stdout, "message %s cancelled (recorded in the audit log): it is not published; the outbox keeps it marked cancelled\n", m.ID)
	if len(m.Attachments) > 0 {
		fmt.Fprintf(e.stdout, "its attachments' encrypted files are removed here, and deleted at the hub once it answers ('casenode attachment list %s' shows when)\n", m.ID)
	}
	return nil
}
