package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"

	"github.com/casenode/casenode/crypto/identity"
)

// nounVerb is one subcommand of a noun command such as 'casenode hub'.
type nounVerb struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func hubVerbs() []nounVerb {
	return []nounVerb{
		{"init", "create a hub directory: secretariat identity, first roster, hub.json", runHubInit},
		{"run", "run the hub until interrupted", runHubRun},
		{"renew", "sign the roster again with a new serial and expiry", runHubRenew},
		{"tls", "make the hub serve TLS with a network CA, or renew its certificate", runHubTLS},
	}
}

func runHub(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "hub", hubVerbs(), args)
}

// dispatchVerb dispatches args to one of verbs of the noun command.
func dispatchVerb(ctx context.Context, e *env, noun string, verbs []nounVerb, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(e.stderr, "Usage: casenode %s VERB [flags]\n\nVerbs:\n", noun)
		for _, v := range verbs {
			fmt.Fprintf(e.stderr, "  %-8s %s\n", v.name, v.summary)
		}
		fmt.Fprintf(e.stderr, "\nRun 'casenode %s VERB -h' for a verb's flags.\n", noun)
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	for _, v := range verbs {
		if v.name == args[0] {
			return v.run(ctx, e, args[1:])
		}
	}
	return usageErrorf(noun, "unknown verb %q for 'casenode %s'", args[0], noun)
}

// hubDirFlags are the flags of every command that works on a hub directory
// with the secretariat's key.
type hubDirFlags struct {
	dir             string
	passphraseStdin bool
}

func (f *hubDirFlags) register(fs *flag.FlagSet, signs bool) {
	fs.StringVar(&f.dir, "dir", "", "the hub directory (from 'casenode hub init')")
	if signs {
		fs.BoolVar(&f.passphraseStdin, "passphrase-stdin", false, "read the secretariat's key passphrase from the first line of standard input (else $"+passphraseEnv+", else a prompt)")
	}
}

func (f *hubDirFlags) check(cmd string) error {
	if f.dir == "" {
		return usageErrorf(cmd, "--dir is required")
	}
	return nil
}

// passphrase returns the source of the secretariat key's passphrase.
func (f *hubDirFlags) passphrase(e *env) identity.PassphraseFunc {
	src := &passphraseSource{e: e, fromStdin: f.passphraseStdin}
	return func() ([]byte, error) { return src.get(false) }
}

// hubDirHint explains a missing hub directory.
func hubDirHint(err error, dir string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(err, "is %s a hub directory? 'casenode hub init --dir %s' creates one", dir, dir)
	}
	return err
}
