package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
)

// runAuditRestartLog is 'casenode audit restart-log': after the node found
// records in its audit log that no signed checkpoint covers (or the log
// fails verification otherwise), it moves the file aside as evidence and
// starts a new log whose record 1 names the old log's last good
// checkpoint. The node must be stopped.
func runAuditRestartLog(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit restart-log", "")
	var f identityFlags
	f.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if f.dir == "" {
		return usageErrorf("audit restart-log", "--dir is required: the node's directory")
	}
	src := &passphraseSource{e: e, fromStdin: f.passphraseStdin}
	id, err := identity.LoadAll(f.dir, func() ([]byte, error) { return src.get(false) })
	if err != nil {
		return withHintIfMissing(err, "is --dir the node's directory?")
	}
	path := filepath.Join(f.dir, auditlog.FileName)
	res, err := agency.RestartAuditLog(ctx, f.dir, id, auditLockTimeout)
	var inUse *auditlog.InUseError
	if errors.As(err, &inUse) {
		return withHint(fmt.Errorf("audit restart-log: %w", err), "stop the node first ('casenode run' holds the log), then run this again")
	}
	if err != nil {
		return fmt.Errorf("audit restart-log: %w", err)
	}
	if res == nil {
		fmt.Fprintf(e.stdout, "finished an interrupted restart: the new audit log is %s\n", path)
		return nil
	}
	fmt.Fprintf(e.stdout, "moved the old audit log to %s: keep it as evidence, do not edit or delete it\n", res.OldPath)
	fmt.Fprintf(e.stdout, "old log:  %s; %s\n", count(res.Record.OldRecords, "record", "records"), res.Record.Reason)
	if res.LastGood != nil {
		fmt.Fprintf(e.stdout, "new log:  %s; its record 1 names the old log's last good checkpoint, size %d, root %s\n", path, res.LastGood.Size, res.LastGood.Root)
	} else {
		fmt.Fprintf(e.stdout, "new log:  %s; its record 1 names the old log, of which no checkpoint verified\n", path)
	}
	fmt.Fprintf(e.stdout, "next: tell the secretariat and your auditor, give them a copy of the old file, and start the node\n")
	return nil
}
