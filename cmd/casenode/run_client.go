package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/api"
)

// clientFlags are the flags of the commands that talk to a running node
// through its local API.
type clientFlags struct {
	dir  string
	json bool
}

func (f *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "dir", "", "the node's directory")
	fs.BoolVar(&f.json, "json", false, "print JSON (stable field names) instead of text")
}

// client returns a client of the node in --dir, acting as the local user.
func (f *clientFlags) client(e *env, cmd string) (*api.Client, error) {
	if f.dir == "" {
		return nil, usageErrorf(cmd, "--dir is required")
	}
	cfg, err := loadNodeConfig(f.dir)
	if err != nil {
		return nil, err
	}
	return api.NewUnixClient(cfg.API.Socket, localUser(e)), nil
}

// loadNodeConfig reads DIR/node.json with a hint for each way it can be
// missing or broken: a directory that does not exist (a typo), one that
// has not joined, a node.json that does not parse.
func loadNodeConfig(dir string) (*config.Node, error) {
	if err := checkDirExists(dir); err != nil {
		return nil, err
	}
	cfg, err := config.LoadNode(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, withHint(fmt.Errorf("%s has not joined a network: no %s", dir, config.NodeFile),
			"run 'casenode join --dir %s --hub URL --creds FILE --secretariat KEY' first", dir)
	}
	if err != nil {
		return nil, withHintIfMissing(err, fmt.Sprintf("fix %s by hand ('casenode config check --dir %s' names the field at fault), or write it again with 'casenode join --dir %s --force --hub URL --creds FILE --secretariat KEY', which keeps the old one as a backup",
			filepath.Join(dir, config.NodeFile), dir, dir))
	}
	return cfg, nil
}

// nodeError adds to err the hint of starting the node when it cannot be
// reached.
func (f *clientFlags) nodeError(err error) error {
	var u *api.UnreachableError
	if errors.As(err, &u) {
		return withHint(fmt.Errorf("the node of %s is not running (%v)", f.dir, u.Err), "start it with 'casenode run --dir %s'", f.dir)
	}
	return err
}

// printJSON prints v as indented JSON.
func printJSON(e *env, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return nil
}

// localUser is the name the commands give the node as their actor's label:
// $USER, else the operating system's name for the user running them. The
// node records the user it authenticates on its socket whatever this says.
func localUser(e *env) string {
	u := strings.TrimSpace(e.getenv("USER"))
	if u == "" {
		if cur, err := user.Current(); err == nil {
			u = cur.Username
		}
	}
	if u == "" || len(u) > 64 || strings.ContainsFunc(u, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ""
	}
	return u
}
