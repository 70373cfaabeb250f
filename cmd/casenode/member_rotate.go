package main

import (
	"context"
	"fmt"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

// defaultOverlap is how long a replaced key stays trusted by default: long
// enough for every node to read the new roster across a weekend outage.
const defaultOverlap = 72 * time.Hour

func runMemberRotate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "member rotate", "NEWCARD.json")
	var d hubDirFlags
	d.register(fs, true)
	overlap := fs.Duration("overlap", defaultOverlap, fmt.Sprintf("how long the agency's previous signing key stays trusted (0s to %s)", hub.MaxOverlap))
	newCreds := fs.Bool("new-creds", false, "also give the agency new hub credentials (always done for a suspended agency)")
	credsOut := fs.String("creds-out", "", "where to write new credentials (default DIR/creds/AGENCY.creds); never overwritten")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("member rotate"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("member rotate", "give exactly one member card file (the agency's new member.json from 'casenode keys rotate')")
	}
	card, err := identity.LoadCard(fs.Arg(0))
	if err != nil {
		return withHintIfMissing(err, "the new member card is the member.json that 'casenode keys rotate' writes in the agency's directory")
	}
	s, err := hub.OpenSecretariat(d.dir, d.passphrase(e))
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	defer s.Close()
	res, err := s.Rotate(card, hub.RotateOptions{Overlap: *overlap, NewCreds: *newCreds, CredsOut: *credsOut}, e.now())
	if err != nil {
		return err
	}
	r := res.Roster.Roster
	fmt.Fprintf(e.stdout, "installed the new member card of %s in network %s: roster serial %d\n", card.Agency, r.Network, r.Serial)
	fmt.Fprintf(e.stdout, "  new signing key id: %s  (confirm it with the agency by a second channel)\n", card.KeyID())
	if res.Previous.Revoked {
		fmt.Fprintf(e.stdout, "  previous key:       %s stays revoked since %s; the agency is active again\n", res.Previous.KeyID(), res.Previous.ValidUntil)
	} else {
		fmt.Fprintf(e.stdout, "  previous key:       %s trusted until %s\n", res.Previous.KeyID(), res.Previous.ValidUntil)
	}
	if res.CredsFile != "" {
		fmt.Fprintf(e.stdout, "  new credentials:    %s  (secret: hand it over out of band; the old ones no longer connect)\n", res.CredsFile)
	}
	if m := r.Member(card.Agency); m.Status != protocol.StatusActive {
		fmt.Fprintf(e.stdout, "  status:             %s\n", m.Status)
	}
	fmt.Fprintf(e.stdout, "a running hub publishes the new roster within seconds\n")
	return nil
}
