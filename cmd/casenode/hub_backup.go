package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/node/backup"
	"github.com/casenode/casenode/node/hub"
)

func runHubBackup(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub backup", "")
	var d hubDirFlags
	d.register(fs, false)
	out := fs.String("out", "", "the new archive file to write (required; created 0600: it holds the secretariat's key)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := d.check("hub backup"); err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("hub backup", "--out is required")
	}
	if _, err := os.Lstat(*out); err == nil {
		return withHint(fmt.Errorf("%s already exists", *out), "choose another --out: a backup never overwrites a file")
	}
	var m *backup.Manifest
	err := durable.CreateNew(*out, 0o600, func(w io.Writer) error {
		var err error
		m, err = hub.Backup(w, d.dir, e.now())
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d files, %d bytes of the hub of %s\n", *out, len(m.Files), m.Bytes(), d.dir)
	fmt.Fprintf(e.stdout, "it holds the secretariat's key: keep it as you keep the key\n")
	return nil
}

func runHubRestore(ctx context.Context, e *env, args []string) error {
	return runRestoreAs(ctx, e, "hub restore", "start it with 'casenode hub run --dir %s' — never while the hub it was taken from still runs", args)
}
