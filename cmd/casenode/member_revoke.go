package main

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

func runMemberRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "member revoke", "AGENCY")
	var d hubDirFlags
	d.register(fs, true)
	key := fs.String("key", "", "revoke only this signing key id of the agency: a previous key, or its current key, which suspends the agency until 'casenode member rotate' installs its new card")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("member revoke"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("member revoke", "give exactly one agency id")
	}
	s, err := hub.OpenSecretariat(d.dir, d.passphrase(e))
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	defer s.Close()
	if *key != "" {
		return revokeKey(e, s, fs.Arg(0), *key)
	}
	sr, err := s.Revoke(fs.Arg(0), e.now())
	if err != nil {
		return err
	}
	m := sr.Roster.Member(fs.Arg(0))
	fmt.Fprintf(e.stdout, "revoked %s (%s) in network %s since %s: roster serial %d\n", m.Card.Agency, m.Card.Name, sr.Roster.Network, m.Since, sr.Roster.Serial)
	fmt.Fprintf(e.stdout, "a running hub disconnects it within seconds; its credentials then read the roster, which tells its node that it is revoked, and nothing else\n")
	return nil
}

// revokeKey revokes one key of agency and says what follows.
func revokeKey(e *env, s *hub.Secretariat, agency, kid string) error {
	sr, err := s.RevokeKey(agency, kid, e.now())
	if err != nil {
		return err
	}
	r := sr.Roster
	m := r.Member(agency)
	if m.Status == protocol.StatusSuspended {
		fmt.Fprintf(e.stdout, "revoked key %s, the current key of %s, since %s: roster serial %d\n", kid, agency, m.Since, r.Serial)
		fmt.Fprintf(e.stdout, "%s is suspended: a running hub disconnects it within seconds, and nobody seals to it\n", agency)
		fmt.Fprintf(e.stdout, "next: the agency runs 'casenode keys rotate' on a safe machine; install its new card with 'casenode member rotate --dir %s NEWCARD.json' (it gets new credentials)\n", s.Dir())
		return nil
	}
	for _, p := range m.Previous {
		if p.KeyID() == kid {
			fmt.Fprintf(e.stdout, "revoked key %s of %s since %s: roster serial %d\n", kid, agency, p.ValidUntil, r.Serial)
		}
	}
	fmt.Fprintf(e.stdout, "its current key %s stays valid\n", m.Card.KeyID())
	return nil
}
