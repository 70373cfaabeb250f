package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/node/hub"
)

func runHubBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub backup", "")
	var d hubDirFlags
	d.register(fs, false)
	out := fs.String("out", "", "the new archive file to write (required; created 0600: it holds the secretariat's key)")
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
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
	// A running hub writes the archive itself, consistently, while it goes
	// on serving (its control socket, hub.sock); a stopped hub's files are
	// read here.
	how := "from the running hub"
	var files int
	err := durable.CreateNew(*out, 0o600, func(w io.Writer) error {
		var err error
		files, err = hub.BackupRunning(ctx, d.dir, w)
		return err
	})
	var u *hub.ControlUnreachableError
	if errors.As(err, &u) {
		how = "from the stopped hub's files"
		err = durable.CreateNew(*out, 0o600, func(w io.Writer) error {
			m, err := hub.BackupStopped(w, d.dir, e.now())
			if m != nil {
				files = len(m.Files)
			}
			return err
		})
		var running *hub.RunningError
		if errors.As(err, &running) {
			return withHint(err, "its control socket %s does not answer (%v): wait for the hub to finish starting, or run this as the hub's own user", u.Path, u.Err)
		}
	}
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e, struct {
			Out   string `json:"out"`
			Files int    `json:"files"`
			Bytes int64  `json:"bytes"`
			From  string `json:"from"`
		}{*out, files, fi.Size(), how})
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d files, %d bytes of the hub of %s, %s\n", *out, files, fi.Size(), d.dir, how)
	fmt.Fprintf(e.stdout, "it holds the secretariat's key: keep it as you keep the key\n")
	return nil
}

func runHubRestore(ctx context.Context, e *env, args []string) error {
	return runRestoreAs(ctx, e, "hub restore", "start it with 'casenode hub run --dir %s' — never while the hub it was taken from still runs", args)
}
