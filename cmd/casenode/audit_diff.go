package main

import (
	"context"
	"fmt"
	"time"

	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/protocol"
)

// Exit codes of audit diff, one per kind of finding; with several kinds,
// the most serious decides (docs/AUDIT.md).
var diffExit = map[evidence.Finding]int{
	evidence.SentNotReceived:     10,
	evidence.ReceivedNotSent:     11,
	evidence.HashMismatch:        12,
	evidence.ReceiptSenderOnly:   13,
	evidence.ReceiptReceiverOnly: 14,
}

// diffWords say each kind of finding in the text output.
var diffWords = map[evidence.Finding]string{
	evidence.SentNotReceived:     "sent but never received",
	evidence.ReceivedNotSent:     "received but never sent",
	evidence.HashMismatch:        "hash mismatch",
	evidence.ReceiptSenderOnly:   "receipt in the sender's log only",
	evidence.ReceiptReceiverOnly: "receipt in the receiver's log only",
}

func runAuditDiff(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit diff", "SENDER.db RECEIVER.db")
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), `
SENDER.db and RECEIVER.db are two agencies' audit logs (snapshots, or a
stopped node's audit.db). Exit codes: 0 the logs agree; 11 received but never
sent; 12 hash mismatch; 10 sent but never received; 13 a receipt in the
sender's log only; 14 a receipt in the receiver's log only (with several,
the first of this list); 1 could not compare (docs/AUDIT.md).
`)
	}
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErrorf("audit diff", "give two audit logs: the sender's, then the receiver's (audit.db files or snapshots of them)")
	}
	s, err := openAuditLog("audit diff", fs.Arg(0))
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := openAuditLog("audit diff", fs.Arg(1))
	if err != nil {
		return err
	}
	defer r.Close()
	rep, err := evidence.Diff(s, r)
	if err != nil {
		return withHint(fmt.Errorf("audit diff: %w", err), "give the sender's log first and the receiver's second, both of one network")
	}
	if *asJSON {
		if err := printJSON(e, rep); err != nil {
			return err
		}
	} else {
		printDiff(e, rep)
	}
	if w := rep.Worst(); w != "" {
		return &exitError{code: diffExit[w], err: withHint(fmt.Errorf("audit diff: %s between the logs of %s and %s", count(len(rep.Issues), "finding", "findings"), rep.Sender, rep.Receiver),
			"check both logs with 'casenode audit verify' first; then keep the two copies as evidence: a message or receipt one log holds and the other does not was forged, lost, or is still on its way")}
	}
	return nil
}

// printDiff prints the report in words.
func printDiff(e *env, rep *evidence.Report) {
	w := e.stdout
	fmt.Fprintf(w, "audit diff: %s → %s in network %s\n", rep.Sender, rep.Receiver, rep.Network)
	fmt.Fprintf(w, "logs:       sender %s, newest %s; receiver %s, newest %s\n", count(rep.SenderRecords, "record", "records"), protocol.NewTime(rep.SenderNewest),
		count(rep.ReceiverRecords, "record", "records"), protocol.NewTime(rep.ReceiverNewest))
	fmt.Fprintf(w, "messages:   %d sent, %d received, %d rejected by the receiver, %d in both logs\n", rep.Sent, rep.Received, rep.Rejected, rep.Paired)
	fmt.Fprintf(w, "receipts:   %d issued by %s, %d held by %s\n", rep.ReceiptsIssued, rep.Receiver, rep.ReceiptsHeld, rep.Sender)
	if rep.Unreadable > 0 {
		fmt.Fprintf(w, "unreadable: %s (run 'casenode audit verify')\n", count(rep.Unreadable, "record", "records"))
	}
	if len(rep.Issues) == 0 {
		fmt.Fprintln(w, "findings:   none: every message and receipt is in both logs, with the same bytes")
	} else {
		fmt.Fprintf(w, "findings:   %d\n", len(rep.Issues))
	}
	for _, is := range rep.Issues {
		what := "message " + is.MessageID
		if is.ReceiptID != "" {
			what = fmt.Sprintf("%s receipt %s of message %s", is.ReceiptKind, is.ReceiptID, is.MessageID)
		}
		fmt.Fprintf(w, "  %s: %s (sender #%s, receiver #%s): %s\n", diffWords[is.Kind], what, index(is.SenderIndex), index(is.ReceiverIndex), is.Detail)
	}
	if len(rep.Delays) > 0 {
		fmt.Fprintln(w, "delays:     median / 95th percentile / max")
	}
	for _, d := range rep.Delays {
		fmt.Fprintf(w, "  %-34s %s / %s / %s over %s\n", d.Name, roughly(d.Median), roughly(d.P95), roughly(d.Max), count(d.Count, "message", "messages"))
	}
}

// index prints a record index, or - for none.
func index(i int64) string {
	if i < 0 {
		return "-"
	}
	return fmt.Sprint(i)
}

// roughly rounds a delay for reading: to the millisecond from a
// millisecond on, else to the microsecond.
func roughly(d time.Duration) time.Duration {
	if d >= time.Millisecond || d <= -time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}
