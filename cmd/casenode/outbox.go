package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

func runOutbox(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "outbox", "")
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
	c, err := cf.client(e, "outbox")
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
		if s := attachSummary(m.Attachments); s != "" {
			state = "held, uploading attachments: " + s
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", when(m.Created), m.Type, orDash(m.Case), m.ID, state)
	}
	return tw.Flush()
}
