package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
)

func runCases(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cases", "")
	var cf clientFlags
	cf.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	c, err := cf.client(e, "cases")
	if err != nil {
		return err
	}
	l, err := c.Cases(ctx)
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, l.Cases)
	}
	if len(l.Cases) == 0 {
		fmt.Fprintln(e.stdout, "no cases (messages sent or received with --case form one)")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tMESSAGES\tIN\tOUT\tLAST\tLAST TYPE\tAGENCIES")
	for _, s := range l.Cases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\n", s.Case, s.Messages, s.Received, s.Sent, when(s.Last), s.LastType, strings.Join(s.Agencies, ", "))
	}
	return tw.Flush()
}
