package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

func auditVerbs() []nounVerb {
	return []nounVerb{
		{"verify", "prove a copy of the audit log unaltered, offline, and print its latest checkpoint", runAuditVerify},
		{"snapshot", "copy an audit log consistently into a new file", runAuditSnapshot},
		{"replay", "tell, in order, what the node sent, received, rejected and who read what", runAuditReplay},
		{"export", "write records, checkpoints and tlog tiles with a manifest into a directory", runAuditExport},
		{"prove", "write the inclusion proof of one record, or the proof of one delivery (--delivery), against a signed checkpoint", runAuditProve},
		{"check-proof", "check an inclusion proof or a delivery proof alone, offline", runAuditCheckProof},
		{"diff", "pair a sender's and a receiver's logs: what one holds and the other does not, and the delays", runAuditDiff},
		{"check-export", "check a directory 'audit export' wrote: its signed manifest, files, tiles and records", runAuditCheckExport},
		{"restart-log", "start a new audit log after a broken one, keeping the old file as evidence (node stopped)", runAuditRestartLog},
		{"serve", "the auditor's console in the browser: verify, timeline, proofs and the cross-log diff, read-only", runAuditServe},
	}
}

// runAudit is 'casenode audit VERB': the auditor's tools, offline, on a copy
// of a node's audit log (docs/AUDIT.md).
func runAudit(ctx context.Context, e *env, args []string) error {
	err := dispatchVerb(ctx, e, "audit", auditVerbs(), args)
	var help *helpRequest
	if errors.As(err, &help) && (len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		print := help.print
		help.print = func(w io.Writer) {
			print(w)
			fmt.Fprint(w, auditExitCodes)
		}
	}
	return err
}

// auditExitCodes is the table of docs/AUDIT.md, for 'casenode help audit'
// and 'casenode help audit verify'.
const auditExitCodes = `
Exit codes of verify, check-proof and check-export:
  0  verified
  1  could not check: the file is missing, in use by a running node, not readable
  2  bad command line
  3  integrity: the file is not what the node wrote (a record, payload, tree hash,
     checkpoint or bucket altered, inserted, removed or unknown; a changed format)
  4  truncation or rollback: fewer records than a checkpoint signed earlier
  5  fork: the log differs from the checkpoint given, at its size
  6  trust: something is signed by a key not trusted at that point
  7  uncovered: records no signed checkpoint covers; every commit signs one,
     so they were written without the agency's key
`

// Exit codes of audit verify and audit check-proof, one per kind of
// failure (docs/AUDIT.md).
const (
	exitIntegrity  = 3
	exitTruncation = 4
	exitFork       = 5
	exitTrust      = 6
	exitUncovered  = 7
)

// auditLockTimeout is how long the audit commands wait for a node's lock
// on the file before they say it is in use.
const auditLockTimeout = time.Second

// openAuditLog opens the log file of --db read-only.
func openAuditLog(cmd, path string) (*auditlog.Reader, error) {
	if path == "" {
		return nil, usageErrorf(cmd, "--db is required: the audit log file (audit.db, or a snapshot of it)")
	}
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{LockTimeout: auditLockTimeout})
	var inUse *auditlog.InUseError
	if errors.As(err, &inUse) {
		return nil, withHint(err, "the audit commands work on a copy: 'casenode audit snapshot --dir NODE_DIR --out COPY' has the running node write one; then give COPY")
	}
	if err != nil {
		return nil, withHint(err, "--db is the audit.db of a node's data directory, or a snapshot of it")
	}
	return r, nil
}

// loadAuditCard reads the member card of --card, if given.
func loadAuditCard(path string) (*protocol.MemberCard, error) {
	if path == "" {
		return nil, nil
	}
	c, err := identity.LoadCard(path)
	if err != nil {
		return nil, withHint(err, "--card is the agency's member.json, as you received it from the agency or the roster")
	}
	return c, nil
}

// auditFailure turns a verification failure into the error of its kind's
// exit code, with what to do about it.
func auditFailure(cmd string, err error) error {
	var ve *auditlog.VerifyError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	err = fmt.Errorf("%s: %w", cmd, err)
	switch ve.Kind {
	case auditlog.KindIntegrity:
		return &exitError{code: exitIntegrity, err: withHint(err, "the file is not what the node wrote: keep it as evidence, and check the records up to the last good checkpoint with a backup or a snapshot")}
	case auditlog.KindTruncation:
		return &exitError{code: exitTruncation, err: withHint(err, "records were removed from the end of the log, or it was restored from an older backup: ask for the node's current audit log")}
	case auditlog.KindFork:
		return &exitError{code: exitFork, err: withHint(err, "the log was rewritten since the checkpoint was signed, by someone holding the agency's key: keep both as evidence")}
	case auditlog.KindTrust:
		return &exitError{code: exitTrust, err: withHint(err, "something here is signed by a key not trusted at that point: check that --card is this agency's card, and whose log this is")}
	case auditlog.KindUncovered:
		return &exitError{code: exitUncovered, err: withHint(err, "the records after the last good checkpoint were written without the agency's key: keep the file as evidence; the node refuses to sign them, and 'casenode audit restart-log' starts a new log that records the break")}
	}
	return err
}
