package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/casenode/casenode/node/agency"
)

func alarmsVerbs() []nounVerb {
	return []nounVerb{
		{"list", "list the alarms neither acknowledged nor cleared (the default; --all for every one)", runAlarmsList},
		{"ack", "acknowledge an alarm: alarms ack ID (recorded in the audit log under your name)", runAlarmsAck},
	}
}

// runAlarms is 'casenode alarms': with no verb, or only flags, it lists.
func runAlarms(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return runAlarmsList(ctx, e, args)
	}
	return dispatchVerb(ctx, e, "alarms", alarmsVerbs(), args)
}

func runAlarmsList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "alarms list", "")
	var cf clientFlags
	cf.register(fs)
	all := fs.Bool("all", false, "also list the alarms already acknowledged, or cleared (a refused roster's, once the hub serves the roster in force again)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	c, err := cf.client(e, "alarms list")
	if err != nil {
		return err
	}
	l, err := c.Alarms(ctx)
	if err != nil {
		return cf.nodeError(err)
	}
	var shown []agency.Alarm
	for _, a := range l {
		if *all || a.Open() {
			shown = append(shown, a)
		}
	}
	if cf.json {
		if shown == nil {
			shown = []agency.Alarm{}
		}
		return printJSON(e, shown)
	}
	if len(shown) == 0 {
		fmt.Fprintln(e.stdout, "no alarms")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRAISED\tKIND\tACKNOWLEDGED\tWHAT")
	for _, a := range shown {
		ack := "-"
		switch {
		case a.Acked != nil:
			ack = when(*a.Acked) + " by " + a.AckedBy
		case a.Cleared != nil:
			ack = "cleared " + when(*a.Cleared)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", a.ID, when(a.Raised), a.Kind, ack, a.Text)
	}
	return tw.Flush()
}

func runAlarmsAck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "alarms ack", "ID")
	var cf clientFlags
	cf.register(fs)
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("alarms ack", "give one alarm id, as 'casenode alarms' shows it")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id < 1 {
		return usageErrorf("alarms ack", "alarm id %q is not a number: 'casenode alarms' shows the ids", fs.Arg(0))
	}
	c, err := cf.client(e, "alarms ack")
	if err != nil {
		return err
	}
	a, err := c.AckAlarm(ctx, id)
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, a)
	}
	fmt.Fprintf(e.stdout, "alarm %d acknowledged by %s (recorded in the audit log): %s\n", a.ID, a.AckedBy, a.Text)
	return nil
}
