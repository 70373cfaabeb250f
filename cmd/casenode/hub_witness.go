package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/casenode/casenode/node/hub"
)

func hubWitnessVerbs() []nounVerb {
	return []nounVerb{
		{"export", "write the hub witness's latest cosigned checkpoint of an agency's log, for its auditor", runHubWitnessExport},
		{"alarms", "list the forks and rollbacks the hub's witness refused, with both checkpoints", runHubWitnessAlarms},
		{"reset", "make the witness forget an agency's log after the agency restarted it (signed by the secretariat, recorded)", runHubWitnessReset},
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
	resets, err := hub.FetchWitnessResets(ctx, nc, cfg.Network, agency)
	if err != nil {
		return err
	}
	// The resets first: an auditor must see that the witnessed history
	// started over, and why, before any checkpoint.
	for _, r := range resets {
		fmt.Fprintf(e.stderr, "reset: the secretariat reset the witness's state of %s on %s (order %s, by %s, signed by key %s): %s; the witness had cosigned size %d%s\n",
			agency, r.Applied.Format(time.RFC3339), r.ID, r.Actor, r.Signer, r.Reason, r.OldSize, rootText(r.OldRoot))
	}
	if len(resets) > 0 && *out != "-" {
		var b bytes.Buffer
		for _, r := range resets {
			if err := writeJSON(&b, r); err != nil {
				return err
			}
		}
		if err := writeNew(e, *out+resetsSuffix, b.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote the %s of the witness's state of %s, with the secretariat's signed orders and the checkpoints forgotten, to %s\n", count(len(resets), "reset", "resets"), agency, *out+resetsSuffix)
	}
	if cp == nil {
		if len(resets) > 0 {
			return withHint(fmt.Errorf("the hub's witness has cosigned no checkpoint of agency %q since its state was reset", agency), "its node asks for a cosignature of its new log once it is online")
		}
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

// resetsSuffix names the file of an agency's witness resets beside its
// exported checkpoint.
const resetsSuffix = ".resets.json"

func rootText(root string) string {
	if root == "" {
		return ""
	}
	return ", root " + root
}

func runHubWitnessReset(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub witness reset", "AGENCY")
	var d hubDirFlags
	d.register(fs, true)
	reason := fs.String("reason", "", "why, in words: what happened to the agency's audit log (required; kept with the order)")
	url := fs.String("hub", "", "the running hub's URL, if not hub.json's listen address on this machine")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("hub witness reset"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("hub witness reset", "want one AGENCY")
	}
	if strings.TrimSpace(*reason) == "" {
		return usageErrorf("hub witness reset", "--reason is required: say what happened to the agency's audit log")
	}
	agency := fs.Arg(0)
	s, err := hub.OpenSecretariat(d.dir, d.passphrase(e))
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	id, path, err := s.OrderWitnessReset(agency, *reason, cliActor(), e.now())
	s.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "signed the order %s to reset the hub witness's state of %s: %s\n", id, agency, path)
	nc, cfg, err := hub.ConnectAdminDir(d.dir, *url)
	if err != nil {
		fmt.Fprintf(e.stdout, "the hub is not running here: it applies the order when it starts\n")
		return nil
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, resetWait)
	defer cancel()
	for {
		resets, err := hub.FetchWitnessResets(ctx, nc, cfg.Network, agency)
		if err != nil && ctx.Err() == nil {
			return err
		}
		for _, r := range resets {
			if r.ID == id {
				fmt.Fprintf(e.stdout, "applied: the witness forgot the checkpoint of size %d%s it had cosigned, and %s; recorded in the hub's audit log (record %d)\n",
					r.OldSize, rootText(r.OldRoot), clearedText(r.Cleared), r.LogSeq)
				fmt.Fprintf(e.stdout, "next: the agency's node has its new log's next checkpoint cosigned; 'casenode hub witness export %s' shows the reset to auditors\n", agency)
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if _, err := os.Stat(path); err != nil {
				return withHint(fmt.Errorf("the hub did not apply the order %s", id), "the hub refused it: see its log and %s.refused", path)
			}
			return withHint(fmt.Errorf("the hub has not applied the order %s within %s", id, resetWait), "the running hub applies %s at its next look; check its log", path)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// resetWait bounds how long 'hub witness reset' waits for the running hub
// to apply the order (it looks every few seconds).
const resetWait = 30 * time.Second

func clearedText(kinds []string) string {
	if len(kinds) == 0 {
		return "no alarm was raised"
	}
	return "cleared its " + strings.Join(kinds, ", ") + " alarm(s)"
}

// cliActor names who gives an order from the command line: "cli:" and the
// system user.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
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
