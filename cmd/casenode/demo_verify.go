package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/auditlog"
)

// verifyAudit stops every node, which frees its audit log and signs a
// last checkpoint, and verifies each log as 'casenode audit verify --db
// DIR/audit.db --card DIR/member.json' does. It fails with the exit code
// of the first log that does not verify.
func (d *demo) verifyAudit(ctx context.Context) error {
	d.step(9, "The audit: each node stops, and its audit log is verified offline (casenode audit verify)")
	for _, a := range demoAgencies() {
		if err := d.net.Stop(a.id); err != nil {
			return fmt.Errorf("demo: stop the node of %s: %w", a.id, err)
		}
	}
	var failed error
	for _, a := range demoAgencies() {
		rep, err := verifyAgencyLog(ctx, d.agencyDir(a.id))
		if err != nil {
			d.say("  %-12s FAILED: %v", a.id, err)
			if failed == nil {
				failed = err
			}
			continue
		}
		d.say("  %-12s verified: %d records, hash chain and Merkle tree, %s, %d message and receipt signatures",
			a.id, rep.Records, demoPlural(rep.Checkpoints, "signed checkpoint"), rep.MessagesChecked)
		if rep.Latest != nil {
			d.say("  %-12s latest checkpoint: %d records, root %s", "", rep.Latest.Size, rep.Latest.Root)
		}
	}
	if failed != nil {
		return failed
	}
	d.say("  Every message sent and received, every receipt and every opening is in these logs, signed:")
	d.say("  an auditor can check a copy offline, and prove one record to a court without the others.")
	return nil
}

// verifyAgencyLog verifies the audit log of an agency's directory with
// the checks of 'casenode audit verify': the log's structure and
// checkpoints, anchored to the agency's member card, and every stored
// message's signatures.
func verifyAgencyLog(ctx context.Context, dir string) (*auditlog.Report, error) {
	card, err := loadAuditCard(filepath.Join(dir, identity.CardFile))
	if err != nil {
		return nil, err
	}
	r, err := openAuditLog("audit verify", filepath.Join(dir, auditlog.FileName))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rep, err := r.Verify(ctx, auditlog.VerifyOptions{Card: card, CheckMessage: auditlog.CheckMessage})
	if err != nil {
		return nil, auditFailure("audit verify "+filepath.Base(dir), err)
	}
	return rep, nil
}

// demoPlural counts things: "1 signed checkpoint", "2 signed checkpoints".
func demoPlural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
