package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/casenode/casenode/node/agency"
)

func caseVerbs() []nounVerb {
	return []nounVerb{
		{"show", "show a case thread, oldest message first: case show ID", runCaseShow},
	}
}

func runCase(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "case", caseVerbs(), args)
}

func runCaseShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "case show", "ID")
	var cf clientFlags
	cf.register(fs)
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("case show", "give one case id")
	}
	c, err := cf.client(e, "case show")
	if err != nil {
		return err
	}
	t, err := c.Case(ctx, fs.Arg(0))
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, t)
	}
	printThread(e, t)
	return nil
}

// printThread prints a case thread as text, oldest message first.
func printThread(e *env, t *agency.Thread) {
	fmt.Fprintf(e.stdout, "case %s: %s (%d received, %d sent) between %s\n\n",
		t.Case, count(t.Messages, "message", "messages"), t.Received, t.Sent, strings.Join(t.Agencies, ", "))
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\t\tTYPE\tFROM\tTO\tSTATE\tID\tSUMMARY")
	for _, m := range t.Items {
		dir, state := "<-", ""
		if m.Direction == "out" {
			dir, state = "->", copies(m.Copies)
		} else if m.Read != nil {
			state = "unread"
			if *m.Read {
				state = "read"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", when(m.Created), dir, m.Type, m.From, strings.Join(m.To, ","), state, m.ID, m.Summary)
	}
	tw.Flush()
}
