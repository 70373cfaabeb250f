package main

import (
	"context"
	"fmt"
)

func runAuditExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit export", "")
	db := fs.String("db", "", "the audit log file: a copy, opened read-only (required)")
	out := fs.String("out", "", "the directory to write, which must not exist or be empty (required)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("audit export", "--out is required: the directory to export into")
	}
	r, err := openAuditLog("audit export", *db)
	if err != nil {
		return err
	}
	defer r.Close()
	p := newProgress(e, "exporting")
	m, err := r.Export(*out, p.update)
	if err != nil {
		return err
	}
	p.finish(m.Records, "exported")
	fmt.Fprintf(e.stdout, "exported %s of %s to %s\n", count(m.Records, "record", "records"), m.Origin, *out)
	fmt.Fprintf(e.stdout, "tiles:    the tree of the latest checkpoint, size %d, root %s (C2SP tlog-tiles)\n", m.Size, m.RootHash)
	fmt.Fprintf(e.stdout, "manifest: %d files with their SHA-256 in %s/manifest.json\n", len(m.Files), *out)
	return nil
}
