package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sort"
	"strings"

	"github.com/casenode/casenode/node/console/auditor"
)

// defaultAuditListen is where 'casenode audit serve' listens unless told:
// loopback, on a port the system picks.
const defaultAuditListen = "127.0.0.1:0"

// runAuditServe is 'casenode audit serve': the auditor's console in the
// browser, over copies of audit logs opened read-only.
func runAuditServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit serve", "")
	db := fs.String("db", "", "an audit log file: a copy, opened read-only")
	dir := fs.String("dir", "", "a folder of audit log copies: every *.db file in it, opened read-only")
	listen := fs.String("listen", defaultAuditListen, "the address to serve the console on (loopback unless you mean otherwise)")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), `
The console opens the logs read-only and listens on loopback, on a port the
system picks unless --listen says which. It prints an address with a
one-time token: open it in your browser, which then holds the session. In
the console: verify a log with a progress bar and the result in words; its
timeline filtered by case, agency, type and time, each record with its
hashes and inclusion proof to download, a sent message's delivery proof
(as audit prove --delivery writes it); two logs compared (audit diff)
(docs/AUDIT.md).
`)
	}
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if (*db == "") == (*dir == "") {
		return usageErrorf("audit serve", "give one of --db FILE (one audit log) or --dir DIR (a folder of audit log copies)")
	}
	paths := []string{*db}
	if *dir != "" {
		var err error
		if paths, err = filepath.Glob(filepath.Join(*dir, "*.db")); err != nil {
			return err
		}
		sort.Strings(paths)
		if len(paths) == 0 {
			return withHint(fmt.Errorf("audit serve: no *.db file in %s", *dir), "put the snapshots there ('casenode audit snapshot --out %s/AGENCY.db'), or give one with --db", *dir)
		}
	}
	if host, _, err := net.SplitHostPort(*listen); err != nil {
		return usageErrorf("audit serve", "--listen %q is not HOST:PORT (e.g. 127.0.0.1:8470)", *listen)
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(e.stderr, "casenode: warning: --listen %s is not a loopback address: other machines can reach the console (they still need its address with the token)\n", *listen)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := auditor.Open(paths, auditor.Options{Logger: log})
	if err != nil {
		return withHint(fmt.Errorf("audit serve: %w", err), "--db is the audit.db of a node's data directory, or a snapshot of it ('casenode audit snapshot'); a running node's own file is locked: give a snapshot")
	}
	defer srv.Close()
	if err := srv.Listen(*listen); err != nil {
		return withHint(err, "choose another --listen, or stop what uses that port")
	}
	fmt.Fprintf(e.stdout, "casenode: the auditor's console serves %s, read-only.\n", countLogs(paths))
	fmt.Fprintf(e.stdout, "Open this address in your browser (it works once, and only in the browser that opens it first):\n\n    %s\n\nStop with Ctrl-C.\n", srv.StartURL())
	return srv.Serve(ctx)
}

// countLogs says how many logs, naming one alone.
func countLogs(paths []string) string {
	if len(paths) == 1 {
		return paths[0]
	}
	return fmt.Sprintf("%d logs (%s)", len(paths), strings.Join(paths, ", "))
}
