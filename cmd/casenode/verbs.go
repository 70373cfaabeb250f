package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// nounVerb is one subcommand of a noun command such as 'casenode hub init'.
// Every noun command dispatches its verbs with dispatchVerb.
type nounVerb struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// dispatchVerb runs the verb of the noun command that args name.
func dispatchVerb(ctx context.Context, e *env, noun string, verbs []nounVerb, args []string) error {
	help := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: casenode %s VERB [flags]\n\nVerbs:\n", noun)
		for _, v := range verbs {
			fmt.Fprintf(w, "  %-11s %s\n", v.name, v.summary)
		}
		fmt.Fprintf(w, "\nRun 'casenode help %s VERB' for a verb's flags.\n", noun)
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		return &helpRequest{print: help, verbs: verbs}
	}
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = v.name
	}
	if len(args) == 0 {
		return &exitError{code: exitUsage, err: withHint(fmt.Errorf("'casenode %s' needs a verb: %s", noun, strings.Join(names, ", ")), "run 'casenode help %s' for what each verb does", noun)}
	}
	for _, v := range verbs {
		if v.name == args[0] {
			return v.run(ctx, e, args[1:])
		}
	}
	return &exitError{code: exitUsage, err: withHint(fmt.Errorf("unknown verb %q for 'casenode %s': the verbs are %s", args[0], noun, strings.Join(names, ", ")), "run 'casenode help %s' for what each verb does", noun)}
}
