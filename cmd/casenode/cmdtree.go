package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"sort"
	"strings"
)

// cmdNode is one command or verb of the CLI as its own definitions say:
// what the completion scripts and the manual page are made from, so that
// they cannot drift from the flags the commands parse.
type cmdNode struct {
	// path is the words that name it: ["hub", "user", "add"].
	path    []string
	summary string
	// args describes the positional arguments.
	args  string
	flags []*flag.Flag
	// sub are the verbs of a noun command.
	sub []*cmdNode
}

// name returns the words of the path joined by spaces.
func (c *cmdNode) name() string { return strings.Join(c.path, " ") }

// valueFlag says whether f takes a value (the next word) rather than
// being a switch.
func valueFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// cliTree asks every command and verb for its help, with nothing else on
// its command line, and records what it defines. Commands parse their
// flags before they touch anything, so asking for help has no effect.
func cliTree() []*cmdNode {
	var out []*cmdNode
	for _, c := range commands() {
		out = append(out, describe([]string{c.name}, c.summary, c.run))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path[0] < out[j].path[0] })
	return out
}

// describe runs one command with -h and records its flags, or its verbs
// and theirs.
func describe(path []string, summary string, run func(context.Context, *env, []string) error) *cmdNode {
	n := &cmdNode{path: path, summary: summary}
	var fs *flag.FlagSet
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	e.defined = func(f *flag.FlagSet, argsUsage string) {
		if fs == nil {
			fs, n.args = f, argsUsage
		}
	}
	err := run(context.Background(), e, []string{"-h"})
	var h *helpRequest
	if errors.As(err, &h) && h.verbs != nil {
		for _, v := range h.verbs {
			n.sub = append(n.sub, describe(append(append([]string(nil), path...), v.name), v.summary, v.run))
		}
		return n
	}
	if fs != nil {
		// The flags are all defined once the command has parsed.
		fs.VisitAll(func(f *flag.Flag) { n.flags = append(n.flags, f) })
	}
	return n
}
