package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/casenode/casenode/node/hub"
)

func hubUserVerbs() []nounVerb {
	return []nounVerb{
		{"add", "create an account of the secretariat's web console (the password from a prompt or --password-stdin)", runHubUserAdd},
		{"list", "list the secretariat console's accounts", runHubUserList},
		{"disable", "stop an account from signing in (its sessions end at their next request)", runHubUserDisable},
	}
}

// runHubUser manages the accounts of the secretariat's web console
// (console.listen in hub.json). Its verbs work whether the hub runs or
// not: a running hub reads the accounts at each sign-in and request.
func runHubUser(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "hub user", hubUserVerbs(), args)
}

func runHubUserAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub user add", "NAME")
	var d hubDirFlags
	d.register(fs, false)
	role := fs.String("role", "", "secretariat (admits, rotates, revokes, renews) or observer (reads only)")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (else a prompt; never from the command line)")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("hub user add"); err != nil {
		return err
	}
	name, err := oneName(fs, "casenode hub user add NAME --dir DIR --role secretariat|observer")
	if err != nil {
		return err
	}
	if *role == "" {
		return usageErrorf("hub user add", "--role is required: secretariat or observer")
	}
	pw, err := readPassword(e, *stdin)
	if err != nil {
		return err
	}
	st, err := hub.AddStaff(d.dir, name, hub.StaffRole(*role), pw, e.now())
	clear(pw)
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	fmt.Fprintf(e.stdout, "account %s (%s) created for the secretariat's console\n", st.Name, st.Role)
	return nil
}

func runHubUserList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub user list", "")
	var d hubDirFlags
	d.register(fs, false)
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := d.check("hub user list"); err != nil {
		return err
	}
	ss, err := hub.StaffList(d.dir)
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	if *asJSON {
		if ss == nil {
			ss = []hub.Staff{}
		}
		return printJSON(e, ss)
	}
	if len(ss) == 0 {
		fmt.Fprintf(e.stdout, "no accounts: create one with 'casenode hub user add NAME --dir %s --role secretariat'\n", d.dir)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tSTATE")
	for _, s := range ss {
		state := "active"
		if s.Disabled != nil {
			state = "disabled " + s.Disabled.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Role, s.Created.UTC().Format("2006-01-02 15:04"), state)
	}
	return tw.Flush()
}

func runHubUserDisable(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub user disable", "NAME")
	var d hubDirFlags
	d.register(fs, false)
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("hub user disable"); err != nil {
		return err
	}
	name, err := oneName(fs, "casenode hub user disable NAME --dir DIR")
	if err != nil {
		return err
	}
	st, err := hub.DisableStaff(d.dir, name, e.now())
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	fmt.Fprintf(e.stdout, "account %s disabled: it can no longer sign in\n", st.Name)
	return nil
}
