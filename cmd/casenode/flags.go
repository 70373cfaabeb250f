package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// helpRequest is the error of a command whose help was asked for: run
// prints the help on standard output and exits 0.
type helpRequest struct {
	print func(w io.Writer)
	// verbs are the verbs of the noun command whose help this is.
	verbs []nounVerb
}

func (*helpRequest) Error() string { return "help requested" }

// newFlags returns a flag set for the command name. Its help goes to
// standard output when asked for (-h, 'casenode help NAME'); its errors go
// through the common error reporter. argsUsage describes the positional
// arguments, if any.
func newFlags(e *env, name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: casenode %s [flags] %s\n\nFlags:\n", name, argsUsage)
		fs.PrintDefaults()
	}
	if e.defined != nil {
		e.defined(fs, argsUsage)
	}
	return fs
}

// parseFlags parses args, flags and positional arguments in any order (as
// people type them: 'member revoke AGENCY --dir H'), and rejects stray
// positional arguments when none are expected. After '--' everything is
// positional. The positional arguments are then fs.Args().
func parseFlags(fs *flag.FlagSet, args []string, positional bool) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return &helpRequest{print: func(w io.Writer) {
					fs.SetOutput(w)
					fs.Usage()
				}}
			}
			return usageErrorf(fs.Name(), "%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Parsing "--" alone sets fs.Args() to the positional arguments and
	// leaves the flags' values as they are.
	if err := fs.Parse(append([]string{"--"}, pos...)); err != nil {
		return err
	}
	if !positional && fs.NArg() > 0 {
		return usageErrorf(fs.Name(), "unexpected argument %q", fs.Arg(0))
	}
	return nil
}
