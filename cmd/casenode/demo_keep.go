package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/auditlog"
)

// keepRunning starts the nodes again, prints commands to try against the
// running network, and waits for Ctrl-C. kept says that the directory
// outlives the demo.
func (d *demo) keepRunning(ctx context.Context, kept bool) error {
	d.say("")
	d.say("The nodes start again, and the network keeps running until you press Ctrl-C:")
	for _, a := range demoAgencies() {
		if err := d.startNode(ctx, a.id); err != nil {
			return err
		}
	}
	consoles, err := d.startConsoles(ctx)
	if err != nil {
		return err
	}
	dakar, accra, abuja := d.agencyDir(demoDakar), d.agencyDir(demoAccra), d.agencyDir(demoAbuja)
	snapshot := filepath.Join(d.dir, "accra-audit.db")
	d.say("")
	d.say("In another shell, try:")
	exe := demoCommand()
	for _, c := range []string{
		"casenode status --dir " + accra,
		"casenode inbox --dir " + abuja,
		"casenode show --dir " + accra + " " + d.statusID,
		"casenode outbox --dir " + abuja,
		"casenode cases --dir " + accra,
		"casenode case show --dir " + accra + " " + demoMLACase,
		"casenode contacts list --dir " + dakar,
		"casenode example case.lead > lead.json",
		"casenode send --dir " + dakar + " --to " + demoAccra + "," + demoAbuja + " --type case.lead --in lead.json --case " + demoLeadCase,
		"casenode audit snapshot --dir " + accra + " --out " + snapshot,
		"casenode audit verify --db " + snapshot + " --card " + filepath.Join(accra, identity.CardFile),
		"casenode audit replay --db " + snapshot + " --dir " + accra,
	} {
		d.say("  %s", strings.Replace(c, "casenode", exe, 1))
	}
	d.say("")
	d.say("A running node holds its %s: 'audit snapshot' has the node write a consistent copy to verify.", auditlog.FileName)
	if !kept {
		d.say("The directory %s is temporary: it is removed when you press Ctrl-C (use --dir to keep it).", d.dir)
	}
	<-ctx.Done()
	d.say("")
	d.say("Stopping the network.")
	var errs []error
	for range len(demoAgencies()) + 1 { // the agencies' consoles and the secretariat's
		errs = append(errs, <-consoles)
	}
	return errors.Join(errs...)
}

// demoCommand returns how to run this binary from another shell:
// "casenode" when the PATH finds this very file, else its path.
func demoCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "casenode"
	}
	if p, err := exec.LookPath("casenode"); err == nil {
		a, errA := os.Stat(p)
		b, errB := os.Stat(exe)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return "casenode"
		}
	}
	return exe
}
