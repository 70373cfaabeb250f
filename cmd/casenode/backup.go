package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/node/backup"
)

func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "backup", "")
	var cf clientFlags
	cf.register(fs)
	out := fs.String("out", "", "the new archive file to write (required; created 0600: it holds the agency's keys)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if cf.dir == "" || *out == "" {
		return usageErrorf("backup", "--dir and --out are required")
	}
	if _, err := os.Lstat(*out); err == nil {
		return withHint(fmt.Errorf("%s already exists", *out), "choose another --out: a backup never overwrites a file")
	}
	c, err := cf.client(e, "backup")
	if err != nil {
		return err
	}
	// A running node writes the archive itself, consistently, while it
	// goes on; a stopped node's files are read here.
	how := "from the running node"
	var files int
	err = durable.CreateNew(*out, 0o600, func(w io.Writer) error {
		var err error
		files, err = c.Backup(ctx, w)
		return err
	})
	var u *api.UnreachableError
	if errors.As(err, &u) {
		how = "from the stopped node's files"
		err = durable.CreateNew(*out, 0o600, func(w io.Writer) error {
			m, err := agency.BackupStopped(w, cf.dir, auditLockTimeout, e.now())
			if m != nil {
				files = len(m.Files)
			}
			return err
		})
		if errors.Is(err, backup.ErrInUse) {
			return withHint(err, "a node holds the files but its API does not answer: wait for it to start, or stop it")
		}
	}
	if err != nil {
		return withHint(err, "check that --dir is the node's directory and that you run as the node's own user")
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(e, struct {
			Out   string `json:"out"`
			Files int    `json:"files"`
			Bytes int64  `json:"bytes"`
			From  string `json:"from"`
		}{*out, files, fi.Size(), how})
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d files, %d bytes, %s\n", *out, files, fi.Size(), how)
	fmt.Fprintf(e.stdout, "it holds the agency's keys: keep it as you keep them\n")
	return nil
}

func runRestore(ctx context.Context, e *env, args []string) error {
	return runRestoreAs(ctx, e, "restore", "start it with 'casenode run --dir %s' — never while the node it was taken from still runs: both are the same agency", args)
}

// runRestoreAs restores a backup of a node or of a hub (the same archive
// format) as command cmd; next says how to start what was restored.
func runRestoreAs(_ context.Context, e *env, cmd, next string, args []string) error {
	fs := newFlags(e, cmd, "")
	in := fs.String("in", "", "the archive 'casenode backup' wrote (required)")
	dir := fs.String("dir", "", "the directory to restore into: new or empty (required)")
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *in == "" || *dir == "" {
		return usageErrorf(cmd, "--in and --dir are required")
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := backup.Restore(f, *dir)
	if err != nil {
		return withHint(err, "nothing was written to %s; check the archive's origin, or take a new backup", *dir)
	}
	if *asJSON {
		return printJSON(e, struct {
			Dir     string `json:"dir"`
			Files   int    `json:"files"`
			Bytes   int64  `json:"bytes"`
			Created string `json:"created"`
		}{*dir, len(m.Files), m.Bytes(), m.Created.Format("2006-01-02T15:04:05Z")})
	}
	fmt.Fprintf(e.stdout, "restored %d files (%d bytes) of the backup of %s into %s\n", len(m.Files), m.Bytes(), m.Created.Format("2006-01-02 15:04 UTC"), *dir)
	fmt.Fprintf(e.stdout, next+"\n", *dir)
	return nil
}
