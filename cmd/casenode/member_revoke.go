package main

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/node/hub"
)

func runMemberRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "member revoke", "AGENCY")
	var d hubDirFlags
	d.register(fs, true)
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("member revoke"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("member revoke", "give exactly one agency id, after the flags")
	}
	s, err := hub.OpenSecretariat(d.dir, d.passphrase(e))
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	defer s.Close()
	sr, err := s.Revoke(fs.Arg(0), e.now())
	if err != nil {
		return err
	}
	m := sr.Roster.Member(fs.Arg(0))
	fmt.Fprintf(e.stdout, "revoked %s (%s) in network %s since %s: roster serial %d\n", m.Card.Agency, m.Card.Name, sr.Roster.Network, m.Since, sr.Roster.Serial)
	fmt.Fprintf(e.stdout, "a running hub disconnects it within seconds\n")
	return nil
}
