package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/casenode/casenode/node/agency"
)

func runStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "status", "")
	var cf clientFlags
	cf.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	c, err := cf.client(e, "status")
	if err != nil {
		return err
	}
	s, err := c.Status(ctx)
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, s)
	}
	alarms, err := c.Alarms(ctx)
	if err != nil {
		return cf.nodeError(err)
	}
	printStatus(e.stdout, s, alarms)
	return nil
}

// printStatus prints the node's status as text, with an ALARM line for
// each alarm not acknowledged.
func printStatus(w io.Writer, s *agency.Status, alarms []agency.Alarm) {
	fmt.Fprintf(w, "agency     %s in network %s\n", s.Agency, s.Network)
	hub := fmt.Sprintf("%s since %s", s.Hub.State, when(s.Hub.Since))
	if s.Hub.URL != "" {
		hub += " (" + s.Hub.URL + ")"
	}
	if s.Hub.State != "online" && s.Hub.LastError != "" {
		hub += ": " + s.Hub.LastError
	}
	fmt.Fprintf(w, "hub        %s\n", hub)
	if s.Hub.OverLimit != "" {
		fmt.Fprintf(w, "ALARM      over its limits at the hub since %s: %s; publications wait in the outbox and go again (the secretariat sets member_limits in hub.json)\n", when(*s.Hub.OverLimitSince), s.Hub.OverLimit)
	}
	switch r := s.Roster; {
	case r != nil:
		exp := "expires"
		switch {
		case r.Expired:
			exp = "EXPIRED (the secretariat must renew it)"
		case r.ExpiresSoon:
			exp = "expires SOON (ask the secretariat to renew it)"
		}
		fmt.Fprintf(w, "roster     serial %d, %s (%d active), %s %s; this agency: %s\n", r.Serial, count(r.Members, "member", "members"), r.Active, exp, when(r.Expires), r.Standing)
		if r.Standing != "active" {
			since := ""
			if !r.StandingSince.IsZero() {
				since = " since " + when(r.StandingSince)
			}
			fmt.Fprintf(w, "ALARM      this agency is %s%s in roster serial %d: it can neither send nor receive; ask the secretariat\n", strings.ToUpper(r.Standing), since, r.Serial)
		}
	case s.Hub.State == "online":
		fmt.Fprintf(w, "roster     none: the node reaches the hub but refused the roster it serves (see ALARM)\n")
	case s.Hub.LastError != "":
		fmt.Fprintf(w, "roster     none yet: the node has not reached the hub (%s)\n", s.Hub.LastError)
	default:
		fmt.Fprintf(w, "roster     none yet: the node has not reached the hub\n")
	}
	for _, a := range alarms {
		if a.Open() {
			fmt.Fprintf(w, "ALARM %-4d %s ('casenode alarms ack %d' once handled)\n", a.ID, a.Text, a.ID)
		}
	}
	fmt.Fprintf(w, "inbox      %s, %d unread\n", count(s.Inbox.Messages, "message", "messages"), s.Inbox.Unread)
	var parts []string
	for _, st := range agency.CopyStates() {
		if n := s.Outbox.Copies[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	copiesText := "none"
	if len(parts) > 0 {
		copiesText = strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "outbox     %s; copies: %s\n", count(s.Outbox.Messages, "message", "messages"), copiesText)
	fmt.Fprintf(w, "pending    %s for a delivered receipt; %s for the hub\n",
		count(s.PendingReceipts, "copy waits", "copies wait"), count(s.ReceiptsQueued, "receipt waits", "receipts wait"))
	if t := s.Transfers; t.Moving > 0 {
		fmt.Fprintf(w, "transfers  %s moving: %s\n", count(int64(t.Moving), "attachment", "attachments"),
			attachState(agency.Attachment{State: "pending", Done: t.Done, Rate: t.Rate, Attachment: attachTotal(t.Total)}))
	}
	fmt.Fprintf(w, "rejected   %s (details in the audit log)\n", count(s.Rejected, "input", "inputs"))
	cp := "no checkpoint yet"
	if s.Audit.Checkpoint != nil {
		cp = fmt.Sprintf("last checkpoint at %s, root %s", count(s.Audit.Checkpoint.Size, "record", "records"), s.Audit.Checkpoint.Root)
	}
	fmt.Fprintf(w, "audit log  %s, %d bytes; %s\n", count(s.Audit.Records, "record", "records"), s.Audit.Bytes, cp)
	printWitness(w, s)
	if a := s.WriteAlarm; a != nil {
		fmt.Fprintf(w, "ALARM      disk full since %s: the node cannot write %s and takes no input; it retries on its own (%s)\n", when(a.Since), a.File, a.Error)
	} else if s.Audit.Failed != "" {
		fmt.Fprintf(w, "ALARM      the audit log cannot write: %s\n", s.Audit.Failed)
	}
}
