package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/casenode/casenode/internal/hint"
)

// version is stamped by the Makefile with -ldflags "-X main.version=…".
var version = "devel"

// env is what a command may touch of the outside world. Commands take it
// instead of reaching for os.*, so that tests can run them in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
	// defined, when set, is told of every flag set a command defines:
	// the completion scripts and the manual page learn the CLI from its
	// own definitions this way (cmdtree.go).
	defined func(fs *flag.FlagSet, argsUsage string)
}

func newEnv() *env {
	return &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now}
}

// command is one verb of the CLI; each lives in a file of its own.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"init", "create an agency's keys and public member card", runInit},
		{"seal", "seal a case message to other agencies into a file", runSeal},
		{"open", "verify and decrypt a sealed message file", runOpen},
		{"inspect", "show a sealed message's clear header, or write out its age ciphertext", runInspect},
		{"example", "print a valid example body of a message type", runExample},
		{"join", "join a network: write the node's configuration (node.json)", runJoin},
		{"run", "run the node: stay connected to the hub, send and receive", runRun},
		{"send", "send a case message through the running node", runSend},
		{"inbox", "list the messages received", runInbox},
		{"show", "open a message (recorded; sends a read receipt)", runShow},
		{"outbox", "list the messages sent, with each recipient's state, or withdraw one held: outbox cancel ID", runOutbox},
		{"attachment", "write out or list a message's attachments: attachment get ID NAME --out FILE", runAttachment},
		{"cases", "list the case threads", runCases},
		{"case", "show a case thread: case show ID", runCase},
		{"contacts", "publish the agency's contact card, or list the directory", runContacts},
		{"user", "add, list and disable the accounts of the node's web console", runUser},
		{"status", "show the node's connection, roster, queues and audit log", runStatus},
		{"alarms", "list the node's alarms, and acknowledge them: alarms ack ID", runAlarms},
		{"audit", "verify, replay, export and prove the audit log, or serve the auditor's console (offline)", runAudit},
		{"backup", "write one archive of a node's directory, consistent while it runs", runBackup},
		{"restore", "bring a node's backup back into a new directory", runRestore},
		{"hub", "set up and run the network's hub (secretariat)", runHub},
		{"member", "admit, list and revoke the network's members (secretariat)", runMember},
		{"config", "check a node's or a hub's configuration file", runConfig},
		{"keys", "rotate and list the agency's own keys", runKeys},
		{"demo", "run a whole network on this machine and tell an exchange step by step", runDemo},
		{"bench", "measure throughput, latency and footprint against the crypto floor", runBench},
		{"version", "print the version", runVersion},
		{"completion", "print the shell completion script: completion bash|zsh|fish", runCompletion},
		{"man", "print the manual page, casenode(1), in roff", runMan},
	}
}

// run executes one command line and returns the process exit code.
func run(args []string, e *env) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := dispatch(ctx, e, args)
	var help *helpRequest
	if errors.As(err, &help) {
		help.print(e.stdout)
		return exitOK
	}
	return report(e.stderr, err)
}

// dispatch runs the command that args name. 'help X Y' is 'X Y -h'.
func dispatch(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "help" {
		args = args[1:]
		if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			return &helpRequest{print: usage}
		}
		args = append(append([]string(nil), args...), "-h")
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		return &helpRequest{print: usage}
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	return &exitError{code: exitUsage, err: withHint(fmt.Errorf("unknown command %q", args[0]), "run 'casenode help' for the list of commands")}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "casenode — sealed case exchange for judicial cooperation networks\n\nUsage: casenode COMMAND [flags]\n\nCommands:\n")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'casenode help COMMAND' for a command's flags.\n")
}

func runVersion(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "")
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e, struct {
			Version string `json:"version"`
		}{version})
	}
	fmt.Fprintf(e.stdout, "casenode %s\n", version)
	return nil
}

// Exit codes shared by all commands. audit verify adds its own (see
// docs/AUDIT.md).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// hintError attaches a hint to an error.
type hintError struct {
	err  error
	hint string
}

func (h *hintError) Error() string { return h.err.Error() }
func (h *hintError) Unwrap() error { return h.err }
func (h *hintError) Hint() string  { return h.hint }

// withHint returns err annotated with a hint for the user.
func withHint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// exitError makes a command exit with a specific code.
type exitError struct {
	code int
	err  error
}

func (x *exitError) Error() string { return x.err.Error() }
func (x *exitError) Unwrap() error { return x.err }

// usageErrorf reports a bad command line with a message of its own.
func usageErrorf(cmd, format string, args ...any) error {
	return &exitError{code: exitUsage, err: withHint(fmt.Errorf(format, args...), "run 'casenode help %s' for its flags", cmd)}
}

// report prints err the way age does and returns the exit code.
func report(w io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	msg := strings.TrimPrefix(err.Error(), "casenode: ")
	fmt.Fprintf(w, "casenode: error: %s\n", msg)
	var h hint.Hinted
	if errors.As(err, &h) && h.Hint() != "" {
		for _, line := range strings.Split(h.Hint(), "\n") {
			fmt.Fprintf(w, "casenode: hint: %s\n", line)
		}
	}
	var x *exitError
	if errors.As(err, &x) {
		return x.code
	}
	return exitFailure
}
