package main

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/node/hub"
)

func runMemberCert(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "member cert", "AGENCY")
	var d hubDirFlags
	d.register(fs, false)
	certOut := fs.String("cert-out", "", "where to write the certificate (default DIR/creds/AGENCY.crt); its key goes next to it as .key; neither is overwritten")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("member cert"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("member cert", "give exactly one agency id")
	}
	s, err := hub.OpenSecretariat(d.dir, nil)
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	defer s.Close()
	c, err := s.IssueClientCert(fs.Arg(0), *certOut, "", e.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "issued a client certificate of the network CA to %s, valid until %s\n", fs.Arg(0), c.NotAfter.UTC().Format("2006-01-02"))
	fmt.Fprintf(e.stdout, "  certificate: %s\n", c.CertFile)
	fmt.Fprintf(e.stdout, "  key:         %s  (secret: hand both over out of band, then delete them here)\n", c.KeyFile)
	return nil
}
