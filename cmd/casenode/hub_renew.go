package main

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/node/hub"
)

func runHubRenew(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub renew", "")
	var d hubDirFlags
	d.register(fs, true)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := d.check("hub renew"); err != nil {
		return err
	}
	s, err := hub.OpenSecretariat(d.dir, d.passphrase(e))
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	defer s.Close()
	sr, err := s.Renew(e.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "roster of network %s renewed: serial %d, expires %s\n", sr.Roster.Network, sr.Roster.Serial, sr.Roster.Expires)
	return nil
}
