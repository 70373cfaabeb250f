package main

import (
	"context"
	"errors"
	"flag"
	"io/fs"

	"github.com/casenode/casenode/crypto/identity"
)

func hubVerbs() []nounVerb {
	return []nounVerb{
		{"init", "create a hub directory: secretariat identity, first roster, hub.json", runHubInit},
		{"run", "run the hub until interrupted", runHubRun},
		{"renew", "sign the roster again with a new serial and expiry", runHubRenew},
		{"tls", "make the hub serve TLS with a network CA, or renew its certificate", runHubTLS},
		{"backup", "write one archive of a hub's directory, consistent while it runs", runHubBackup},
		{"restore", "bring a hub's backup back into a new directory", runHubRestore},
		{"user", "manage the accounts of the secretariat's web console (add, list, disable)", runHubUser},
		{"witness", "the hub's witness: export a cosigned checkpoint, list forks and rollbacks, reset an agency's state after a restart of its log", runHubWitness},
		{"status", "say whether every stream and consumer of the running hub has all its replicas current (a clustered hub: whether one server may be restarted)", runHubStatus},
		{"join-cluster", "make the directory of another server of a clustered hub from the first one's files", runHubJoinCluster},
	}
}

func runHub(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "hub", hubVerbs(), args)
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
