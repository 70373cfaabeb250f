package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

func runMan(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "man", "")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	writeMan(e.stdout, cliTree())
	return nil
}

// writeMan writes the manual page, casenode(1), in roff, from the
// command line's own definitions.
func writeMan(w io.Writer, tree []*cmdNode) {
	fmt.Fprintf(w, ".TH CASENODE 1 \"\" \"casenode %s\" \"casenode manual\"\n", roff(version))
	fmt.Fprint(w, `.SH NAME
casenode \- sealed case exchange for judicial cooperation networks
.SH SYNOPSIS
.B casenode
.I COMMAND
[\fIVERB\fR] [\fIflags\fR] [\fIarguments\fR]
.SH DESCRIPTION
Each agency of a judicial cooperation network runs a casenode node. It
sends and receives case messages encrypted end to end with age to the
named recipient agencies and signed as JWS, carried over NATS JetStream
through the network's hub, and keeps an append-only, tamper-evident audit
log. The network's secretariat runs the hub with
.BR "casenode hub run" ;
auditors verify and replay audit logs offline with
.BR "casenode audit" .
.PP
Flags may come before or after the arguments, with one dash or two.
.B "casenode help"
.I COMMAND
prints a command's flags.
.SH COMMANDS
`)
	var walk func(ns []*cmdNode)
	walk = func(ns []*cmdNode) {
		for _, n := range ns {
			if len(n.sub) > 0 {
				walk(n.sub)
				continue
			}
			fmt.Fprintf(w, ".SS \"%s\"\n", roff(strings.TrimSpace("casenode "+n.name()+" "+n.args)))
			fmt.Fprintf(w, "%s.\n", roffLine(capitalize(n.summary)))
			for _, f := range n.flags {
				name, usage := flag.UnquoteUsage(f)
				arg := ""
				if valueFlag(f) {
					if name == "" {
						name = "value"
					}
					arg = " \\fI" + roff(name) + "\\fR"
				}
				fmt.Fprintf(w, ".TP\n\\fB\\-\\-%s\\fR%s\n", roff(f.Name), arg)
				if d := f.DefValue; valueFlag(f) && d != "" && d != "0" && d != "0s" {
					usage += " (default " + d + ")"
				}
				fmt.Fprintf(w, "%s\n", roffLine(usage))
			}
		}
	}
	walk(tree)
	fmt.Fprint(w, `.SH ENVIRONMENT
.TP
.B CASENODE_PASSPHRASE
the passphrase of the agency's or the secretariat's encrypted key, for
unattended use; prefer
.B \-\-passphrase\-stdin
or, under systemd, a credential named
.I passphrase
(LoadCredentialEncrypted=), read from
.BR $CREDENTIALS_DIRECTORY .
.SH FILES
.TP
.I node.json
the node's configuration, in its directory (\fB\-\-dir\fR)
.TP
.I hub.json
the hub's configuration, in its directory
.TP
.I audit.db
the node's one file (bbolt): its audit log, and its store in a bucket of its own
.SH EXIT STATUS
0 on success, 1 on failure, 2 for a bad command line;
.B "casenode audit verify"
has codes of its own (see docs/AUDIT.md).
.SH SEE ALSO
.BR age (1),
.BR nats (1).
The guides docs/USER.md, docs/OPERATOR.md and docs/AUDIT.md in the source
distribution.
`)
}

// roff escapes s for use inside a roff line.
func roff(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`, `"`, `\(dq`).Replace(s)
}

// roffLine escapes a text line: a line may not start with a control
// character.
func roffLine(s string) string {
	s = roff(strings.ReplaceAll(s, "\n", " "))
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
