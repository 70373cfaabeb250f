package main

import (
	"context"
	"fmt"
	"time"

	"github.com/casenode/casenode/node/hub"
)

func hubWitnessVerbs() []nounVerb {
	return []nounVerb{
		{"export", "write the hub witness's latest cosigned checkpoint of an agency's log, for its auditor", runHubWitnessExport},
		{"alarms", "list the forks and rollbacks the hub's witness refused, with both checkpoints", runHubWitnessAlarms},
	}
}

func runHubWitness(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "hub witness", hubWitnessVerbs(), args)
}

func runHubWitnessExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub witness export", "AGENCY")
	var d hubDirFlags
	d.register(fs, false)
	url := fs.String("hub", "", "the running hub's URL, if not hub.json's listen address on this machine")
	out := fs.String("out", "-", "the file to write (a new one), or - for standard output")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("hub witness export"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("hub witness export", "want one AGENCY")
	}
	agency := fs.Arg(0)
	nc, cfg, err := hub.ConnectAdminDir(d.dir, *url)
	if err != nil {
		return withHint(hubDirHint(err, d.dir), "the hub must be running ('casenode hub run --dir %s')", d.dir)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cp, err := hub.FetchWitnessCheckpoint(ctx, nc, cfg.Network, agency)
	if err != nil {
		return err
	}
	if cp == nil {
		return withHint(fmt.Errorf("the hub's witness has cosigned no checkpoint of agency %q", agency), "check the agency id ('casenode member list'); its node asks for cosignatures once it is online")
	}
	if err := writeNew(e, *out, cp, 0o644); err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(e.stderr, "wrote the witness's checkpoint of %s to %s: give it to the auditor, who passes it with 'casenode audit verify --witness-checkpoint'\n", agency, *out)
	}
	return nil
}

func runHubWitnessAlarms(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub witness alarms", "")
	var d hubDirFlags
	d.register(fs, false)
	url := fs.String("hub", "", "the running hub's URL, if not hub.json's listen address on this machine")
	asJSON := fs.Bool("json", false, "print the alarms as JSON, one per line")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := d.check("hub witness alarms"); err != nil {
		return err
	}
	nc, cfg, err := hub.ConnectAdminDir(d.dir, *url)
	if err != nil {
		return withHint(hubDirHint(err, d.dir), "the hub must be running ('casenode hub run --dir %s')", d.dir)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	alarms, err := hub.FetchWitnessAlarms(ctx, nc, cfg.Network)
	if err != nil {
		return err
	}
	for _, a := range alarms {
		if *asJSON {
			if err := writeJSON(e.stdout, a); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(e.stdout, "%s  %s  %s\n\nthe witness had cosigned:\n%s\nthe agency's node sent:\n%s\n", a.Detected.Format(time.RFC3339), a.Agency, a.Kind, a.Cosigned, a.Submitted)
	}
	if len(alarms) == 0 && !*asJSON {
		fmt.Fprintln(e.stdout, "no witness alarms")
	}
	return nil
}
