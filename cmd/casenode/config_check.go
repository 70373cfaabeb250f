package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/casenode/casenode/config"
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
	if err := parseFlags(flags, args, false); err != nil {
		return err
	}
	if *dir == "" {
		return usageErrorf("config check", "--dir is required")
	}
	checks := []struct {
		file string
		load func(string) error
	}{
		{config.NodeFile, func(d string) error { _, err := config.LoadNode(d); return err }},
		{config.HubFile, func(d string) error { _, err := config.LoadHub(d); return err }},
	}
	found := false
	for _, c := range checks {
		path := filepath.Join(*dir, c.file)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		found = true
		if err := c.load(*dir); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: OK\n", path)
	}
	if !found {
		return withHint(fmt.Errorf("%s holds neither %s nor %s", *dir, config.NodeFile, config.HubFile),
			"give the directory of an agency node or of a hub")
	}
	return nil
}
