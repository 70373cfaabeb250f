package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/casenode/casenode/node/hub"
)

func runMemberList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "member list", "")
	var d hubDirFlags
	d.register(fs, false)
	asJSON := fs.Bool("json", false, "print the roster itself, canonical JSON (stable for scripts)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := d.check("member list"); err != nil {
		return err
	}
	sr, err := hub.LoadRoster(d.dir)
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	r := sr.Roster
	if *asJSON {
		data, err := r.Marshal()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", data)
		return err
	}
	fmt.Fprintf(e.stdout, "network %s, roster serial %d, issued %s, expires %s, secretariat %s\n", r.Network, r.Serial, r.Issued, r.Expires, r.Secretariat)
	if !e.now().Before(r.Expires.Time) {
		fmt.Fprintf(e.stderr, "casenode: warning: the roster has expired; run 'casenode hub renew --dir %s'\n", d.dir)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "AGENCY\tSTATUS\tSINCE\tCOUNTRY\tKEY ID\tNAME")
	previous := 0
	for _, m := range r.Members {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Card.Agency, m.Status, m.Since, m.Card.Country, m.Card.KeyID(), m.Card.Name)
		previous += len(m.Previous)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if previous == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout, "\nprevious keys:")
	w = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "AGENCY\tKEY ID\tSTATE")
	for _, m := range r.Members {
		for i := range m.Previous {
			fmt.Fprintf(w, "%s\t%s\t%s\n", m.Card.Agency, m.Previous[i].KeyID(), hub.KeyState(&m.Previous[i], e.now()))
		}
	}
	return w.Flush()
}
