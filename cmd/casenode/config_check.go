package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
)

func configVerbs() []nounVerb {
	return []nounVerb{
		{"check", "check DIR/node.json or DIR/hub.json and print OK or the field at fault", runConfigCheck},
	}
}

func runConfig(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "config", configVerbs(), args)
}

func runConfigCheck(ctx context.Context, e *env, args []string) error {
	flags := newFlags(e, "config check", "")
	dir := flags.String("dir", "", "an agency node's directory (node.json) or a hub directory (hub.json)")
	asJSON := flags.Bool("json", false, "print JSON (stable field names) instead of text")
	if err := parseFlags(flags, args, false); err != nil {
		return err
	}
	if *dir == "" {
		return usageErrorf("config check", "--dir is required")
	}
	if err := checkDirExists(*dir); err != nil {
		return err
	}
	checks := []struct {
		file string
		load func(string) error
	}{
		{config.NodeFile, checkNodeConfig},
		{config.HubFile, func(d string) error { _, err := config.LoadHub(d); return err }},
	}
	type checked struct {
		File string `json:"file"`
		OK   bool   `json:"ok"`
	}
	var done []checked
	for _, c := range checks {
		path := filepath.Join(*dir, c.file)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := c.load(*dir); err != nil {
			return err
		}
		done = append(done, checked{path, true})
	}
	if len(done) == 0 {
		return withHint(fmt.Errorf("%s holds neither %s nor %s", *dir, config.NodeFile, config.HubFile),
			"give the directory of an agency node or of a hub")
	}
	if *asJSON {
		return printJSON(e, done)
	}
	for _, c := range done {
		fmt.Fprintf(e.stdout, "%s: OK\n", c.File)
	}
	return nil
}

// checkNodeConfig loads DIR/node.json and checks it against the agency
// identity of the same directory: a node.json copied from another agency's
// directory is valid on its own but would not run here.
func checkNodeConfig(dir string) error {
	cfg, err := config.LoadNode(dir)
	if err != nil {
		return err
	}
	card, err := identity.LoadCard(filepath.Join(dir, identity.CardFile))
	if err != nil {
		return withHintIfMissing(fmt.Errorf("%s has a %s but no agency identity: %w", dir, config.NodeFile, err),
			"node.json belongs in the directory 'casenode init' created, next to member.json")
	}
	path := filepath.Join(dir, config.NodeFile)
	if cfg.Agency != card.Agency || cfg.Network != card.Network {
		return withHint(fmt.Errorf("%s is for agency %s in network %s, but the identity in %s is agency %s in network %s",
			path, cfg.Agency, cfg.Network, dir, card.Agency, card.Network),
			"node.json was copied from another agency's directory: join again with 'casenode join --dir %s --force …'", dir)
	}
	return nil
}

// checkDirExists says when a directory given with --dir does not exist,
// before anything says what it lacks.
func checkDirExists(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(fmt.Errorf("directory %s does not exist", dir), "check the spelling of --dir")
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return withHint(fmt.Errorf("%s is not a directory", dir), "--dir is a directory")
	}
	return nil
}
