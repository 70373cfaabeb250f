package main

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/protocol"
)

// runExample prints a valid example body of a message type, or lists the
// types.
func runExample(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "example", "[TYPE]")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: casenode example [TYPE]\n\n"+
			"Prints a valid example body of message type TYPE, or lists the types.\n\n"+
			"Example:\n  casenode example case.request > request.json\n")
	}
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		for _, t := range protocol.MessageTypes() {
			fmt.Fprintf(e.stdout, "%-13s %s\n", t, t.Summary())
		}
		return nil
	}
	if fs.NArg() > 1 {
		return usageErrorf("example", "unexpected argument %q", fs.Arg(1))
	}
	t, err := protocol.ParseMessageType(fs.Arg(0))
	if err != nil {
		return &exitError{code: exitUsage, err: withHint(err, "run 'casenode example' for the types with one line each")}
	}
	_, err = e.stdout.Write(protocol.Example(t))
	return err
}
