package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/casenode/casenode/node/agency"
)

// showThread prints the case of the request as Accra sees it.
func (d *demo) showThread(ctx context.Context) error {
	d.step(6, fmt.Sprintf("The case thread at Accra (casenode case show %s)", demoMLACase))
	t, err := d.net.Node(demoAccra).Case(ctx, demoMLACase)
	if err != nil {
		return fmt.Errorf("demo: case %s at %s: %w", demoMLACase, demoAccra, err)
	}
	printThread(&env{stdout: indent(d.e.stdout, "  ")}, t)
	d.say("  -> sent, <- received. The statuses stay unread: nobody at %s opened them yet.", demoAccra)
	return nil
}

// showDirectory prints Dakar's contact directory.
func (d *demo) showDirectory(ctx context.Context) error {
	d.step(7, "The contact directory at Dakar (casenode contacts list)")
	cs, err := d.net.Node(demoDakar).Contacts(ctx, agency.ContactQuery{})
	if err != nil {
		return fmt.Errorf("demo: contacts at %s: %w", demoDakar, err)
	}
	tw := tabwriter.NewWriter(indent(d.e.stdout, "  "), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AGENCY\tROLE\tNAME\tLANGUAGES\tPHONE\tEMAIL")
	for _, c := range cs {
		for _, p := range c.Card.Contacts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Card.Agency, p.Role, p.Name, strings.Join(p.Languages, ","), orDash(p.Phone), orDash(p.Email))
		}
	}
	return tw.Flush()
}

// showInboxes prints what each node holds, as 'casenode status' counts it.
func (d *demo) showInboxes(ctx context.Context) error {
	d.step(8, "What each node holds (casenode status)")
	for _, a := range demoAgencies() {
		n := d.net.Node(a.id)
		st, err := n.Status(ctx)
		if err != nil {
			return fmt.Errorf("demo: status of %s: %w", a.id, err)
		}
		in, err := n.Inbox(ctx, agency.InboxQuery{})
		if err != nil {
			return fmt.Errorf("demo: inbox of %s: %w", a.id, err)
		}
		var parts []string
		for _, s := range agency.CopyStates() {
			if c := st.Outbox.Copies[s]; c > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c, s))
			}
		}
		d.say("  %-12s inbox %d messages (%d unread): %s", a.id, st.Inbox.Messages, st.Inbox.Unread, demoCounts(in))
		d.say("  %-12s outbox %d messages, copies %s; audit log %d records", "", st.Outbox.Messages, strings.Join(parts, ", "), st.Audit.Records)
	}
	return nil
}

// demoCounts counts messages by type: "1 case.lead, 2 contact.card".
func demoCounts(ms []*agency.MessageSummary) string {
	var order []string
	count := map[string]int{}
	for _, m := range ms {
		t := string(m.Type)
		if count[t] == 0 {
			order = append(order, t)
		}
		count[t]++
	}
	parts := make([]string, len(order))
	for i, t := range order {
		parts[i] = fmt.Sprintf("%d %s", count[t], t)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// indentWriter prefixes every line written through it.
type indentWriter struct {
	w      io.Writer
	prefix string
	// midLine says that the last write did not end a line.
	midLine bool
}

// indent returns a writer that prefixes every line with prefix.
func indent(w io.Writer, prefix string) io.Writer { return &indentWriter{w: w, prefix: prefix} }

// Write writes p, with the prefix at the start of each line that is not
// empty.
func (iw *indentWriter) Write(p []byte) (int, error) {
	var b []byte
	for _, c := range p {
		if !iw.midLine && c != '\n' {
			b = append(b, iw.prefix...)
		}
		b = append(b, c)
		iw.midLine = c != '\n'
	}
	if _, err := iw.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}
