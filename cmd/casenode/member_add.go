package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/hub"
)

func runMemberAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "member add", "CARD.json")
	var d hubDirFlags
	d.register(fs, true)
	credsOut := fs.String("creds-out", "", "where to write the agency's hub credentials (default DIR/creds/AGENCY.creds); never overwritten")
	clientCert := fs.Bool("client-cert", false, "also issue a client certificate of the network CA next to the credentials (always done when hub.json has tls.verify_clients)")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("member add"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("member add", "give exactly one member card file (the agency's member.json), after the flags")
	}
	card, err := identity.LoadCard(fs.Arg(0))
	if err != nil {
		return withHintIfMissing(err, "a member card is the member.json that 'casenode init' writes in the agency's directory")
	}
	s, err := hub.OpenSecretariat(d.dir, d.passphrase(e))
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	defer s.Close()
	sr, err := s.Add(card, *credsOut, e.now())
	if err != nil {
		return err
	}
	creds := *credsOut
	if creds == "" {
		creds = filepath.Join(d.dir, hub.CredsDir, card.Agency+".creds")
	}
	r := sr.Roster
	fmt.Fprintf(e.stdout, "admitted %s (%s, %s) to network %s: roster serial %d\n", card.Agency, card.Name, card.Country, r.Network, r.Serial)
	fmt.Fprintf(e.stdout, "  signing key id: %s\n", card.KeyID())
	fmt.Fprintf(e.stdout, "  credentials:    %s  (secret: hand it to the agency out of band, then delete it here)\n", creds)
	if *clientCert || s.Config().TLS.VerifyClients {
		certFile, keyFile := hub.ClientCertPaths(creds)
		c, err := s.IssueClientCert(card.Agency, certFile, keyFile, e.now())
		if err != nil {
			return withHintIfMissing(fmt.Errorf("%s is admitted, but its client certificate was not issued: %w", card.Agency, err),
				fmt.Sprintf("issue it with 'casenode member cert --dir %s %s'", d.dir, card.Agency))
		}
		fmt.Fprintf(e.stdout, "  client cert:    %s, %s  (mutual TLS; hand both over with the credentials: the key is secret)\n", c.CertFile, c.KeyFile)
	}
	if s.Config().TLS.Enabled() {
		fmt.Fprintf(e.stdout, "  network CA:     %s  (public: the agency's node trusts it for the hub)\n", filepath.Join(d.dir, hub.CACertFile))
	}
	fmt.Fprintf(e.stdout, "  the agency pins the secretariat key %s\n", r.Member(r.Secretariat).Card.KeyID())
	fmt.Fprintf(e.stdout, "a running hub applies the new roster within seconds\n")
	return nil
}
