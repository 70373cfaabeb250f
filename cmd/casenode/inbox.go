package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

func runInbox(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "inbox", "")
	var cf clientFlags
	cf.register(fs)
	typ := fs.String("type", "", "only messages of this type")
	caseID := fs.String("case", "", "only messages of this case")
	from := fs.String("from", "", "only messages from this agency")
	unread := fs.Bool("unread", false, "only messages nobody opened yet")
	limit := fs.Int("limit", 0, "at most this many messages (0: all)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	c, err := cf.client(e, "inbox")
	if err != nil {
		return err
	}
	ms, err := c.Inbox(ctx, agency.InboxQuery{Type: protocol.MessageType(*typ), Case: *caseID, From: *from, Unread: *unread, Limit: max(*limit, 0)})
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
	fmt.Fprintln(tw, "\tRECEIVED\tFROM\tTYPE\tCASE\tID\tSUMMARY")
	for _, m := range ms {
		mark := "*"
		if m.Read {
			mark = ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, when(m.Received), m.From, m.Type, orDash(m.Case), m.ID, m.Summary)
	}
	tw.Flush()
	fmt.Fprintln(e.stdout, "(* unread; 'casenode show ID' opens a message and records that you read it)")
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
