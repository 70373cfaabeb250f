package main

import (
	"context"
	"fmt"
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
	w := e.stdout
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
	if r := s.Roster; r != nil {
		exp := "expires"
		switch {
		case r.Expired:
			exp = "EXPIRED (the secretariat must renew it)"
		case r.ExpiresSoon:
			exp = "expires SOON (ask the secretariat to renew it)"
		}
		fmt.Fprintf(w, "roster     serial %d, %d members (%d active), %s %s; this agency: %s\n", r.Serial, r.Members, r.Active, exp, when(r.Expires), r.Standing)
		if r.Standing != "active" {
			since := ""
			if !r.StandingSince.IsZero() {
				since = " since " + when(r.StandingSince)
			}
			fmt.Fprintf(w, "ALARM      this agency is %s%s in roster serial %d: it can neither send nor receive; ask the secretariat\n", strings.ToUpper(r.Standing), since, r.Serial)
		}
		if r.Alarm != "" {
			fmt.Fprintf(w, "ALARM      roster refused, the one in force kept: %s\n", r.Alarm)
		}
		for _, c := range r.CardChanges {
			fmt.Fprintf(w, "ALARM      roster serial %d changed the card of %s: key %s replaced by %s; confirm the new key id with the agency\n", c.Serial, c.Agency, c.OldKid, c.NewKid)
		}
	} else {
		fmt.Fprintf(w, "roster     none yet: the node has not reached the hub\n")
	}
	fmt.Fprintf(w, "inbox      %d messages, %d unread\n", s.Inbox.Messages, s.Inbox.Unread)
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
	fmt.Fprintf(w, "outbox     %d messages; copies: %s\n", s.Outbox.Messages, copiesText)
	fmt.Fprintf(w, "pending    %d copies wait for a delivered receipt; %d receipts wait for the hub\n", s.PendingReceipts, s.ReceiptsQueued)
	fmt.Fprintf(w, "rejected   %d inputs (details in the audit log)\n", s.Rejected)
	cp := "no checkpoint yet"
	if s.Audit.Checkpoint != nil {
		cp = fmt.Sprintf("last checkpoint at %d records, root %s", s.Audit.Checkpoint.Size, s.Audit.Checkpoint.Root)
	}
	fmt.Fprintf(w, "audit log  %d records, %d bytes; %s\n", s.Audit.Records, s.Audit.Bytes, cp)
	if a := s.WriteAlarm; a != nil {
		fmt.Fprintf(w, "ALARM      disk full since %s: the node cannot write %s and takes no input; it retries on its own (%s)\n", when(a.Since), a.File, a.Error)
	} else if s.Audit.Failed != "" {
		fmt.Fprintf(w, "ALARM      the audit log cannot write: %s\n", s.Audit.Failed)
	}
	return nil
}
