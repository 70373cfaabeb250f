package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/node/auditlog"
)

func runAuditSnapshot(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit snapshot", "")
	db := fs.String("db", "", "the audit log file to copy, if no running node holds it")
	dir := fs.String("dir", "", "the directory of a running node: the node writes the copy through its local API")
	out := fs.String("out", "", "the new file to write the copy to (required)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *out == "" || (*db == "") == (*dir == "") {
		return usageErrorf("audit snapshot", "give --out and one of --db FILE (a log no node holds) or --dir NODE_DIR (a running node's)")
	}
	var n int64
	var err error
	if *dir != "" {
		n, err = snapshotFromNode(ctx, e, *dir, *out)
	} else {
		n, err = auditlog.SnapshotFile(*db, *out, auditlog.ReadOptions{LockTimeout: auditLockTimeout})
		var inUse *auditlog.InUseError
		if errors.As(err, &inUse) {
			return withHint(fmt.Errorf("audit log %s is in use by a running node", *db),
				"a running node holds its log locked and must make the copy itself: run 'casenode audit snapshot --dir NODE_DIR --out %s' with the node's directory, or stop the node and run this command again", *out)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d bytes), a consistent copy of the audit log\n", *out, n)
	return nil
}

// snapshotFromNode asks the running node of dir for a snapshot of its log
// and writes it to the new file out, durably, checking that it opens as an
// audit log.
func snapshotFromNode(ctx context.Context, e *env, dir, out string) (int64, error) {
	cf := clientFlags{dir: dir}
	c, err := cf.client(e, "audit snapshot")
	if err != nil {
		return 0, err
	}
	if _, err := os.Lstat(out); err == nil {
		return 0, withHint(fmt.Errorf("%s already exists", out), "choose another --out, or remove the file first")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	var n int64
	err = durable.ReplaceFunc(out, 0o600, func(w io.Writer) error {
		var err error
		n, err = c.AuditSnapshot(ctx, w)
		return err
	})
	if err != nil {
		return 0, cf.nodeError(err)
	}
	r, err := auditlog.OpenReader(out, auditlog.ReadOptions{})
	if err != nil {
		return 0, fmt.Errorf("the node's snapshot: %w", err)
	}
	return n, r.Close()
}
