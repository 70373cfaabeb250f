package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

func runHubInit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub init", "")
	dir := fs.String("dir", "", "the new hub directory (created if missing)")
	network := fs.String("network", "", "the network id, e.g. wacap ("+protocol.IDRule+")")
	agency := fs.String("agency", "", "the secretariat's agency id (default NETWORK-secretariat)")
	name := fs.String("name", "", "the secretariat's display name (default \"Secretariat of NETWORK\")")
	country := fs.String("country", "", "the secretariat's country, ISO 3166-1 alpha-2 (e.g. SN)")
	classic := fs.Bool("classic", false, "the network uses classic X25519 age keys instead of post-quantum hybrid ones (every member must match)")
	listen := fs.String("listen", "", "HOST:PORT the hub listens on (default "+config.DefaultHubListen+")")
	credsOut := fs.String("creds-out", "", "where to write the secretariat's own agency credentials (default DIR/creds/AGENCY.creds)")
	protect := fs.Bool("passphrase", false, "encrypt the secretariat's secret keys with a passphrase ($"+passphraseEnv+", --passphrase-stdin, or a prompt)")
	stdin := fs.Bool("passphrase-stdin", false, "with --passphrase: read it from the first line of standard input")
	withTLS := fs.Bool("tls", false, "serve TLS: make a private network CA and the hub's certificate (see --tls-host)")
	var t tlsFlags
	t.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	for flagName, v := range map[string]string{"dir": *dir, "network": *network, "country": *country} {
		if v == "" {
			return usageErrorf("hub init", "--%s is required", flagName)
		}
	}
	o := hub.InitOptions{Network: *network, Agency: *agency, Name: *name, Country: *country, Kind: protocol.KindHybrid, Listen: *listen, CredsOut: *credsOut, Now: e.now()}
	if *classic {
		o.Kind = protocol.KindClassic
	}
	if err := protocol.ValidateID("network", o.Network); err != nil {
		return usageErrorf("hub init", "--network: %v", err)
	}
	if err := protocol.ValidateCountry(o.Country); err != nil {
		return usageErrorf("hub init", "--country: %v", err)
	}
	if o.Agency != "" {
		if err := protocol.ValidateID("agency", o.Agency); err != nil {
			return usageErrorf("hub init", "--agency: %v", err)
		}
	}
	if !*withTLS && (len(t.hosts) > 0 || t.verifyClients) {
		return usageErrorf("hub init", "--tls-host and --tls-verify-clients need --tls")
	}
	if *withTLS {
		var err error
		if o.TLS, err = t.options("hub init"); err != nil {
			return err
		}
		if host, _, _ := net.SplitHostPort(o.Listen); len(t.hosts) == 0 && o.Listen != "" && (host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified()) {
			return usageErrorf("hub init", "--tls with --listen %s needs --tls-host: the hub's certificate must name the host agencies put in their hub URL", o.Listen)
		}
	}
	if *protect {
		var err error
		src := &passphraseSource{e: e, fromStdin: *stdin}
		if o.Passphrase, err = src.get(true); err != nil {
			return err
		}
		if o.WorkFactor, err = workFactor(e); err != nil {
			return err
		}
	}
	res, err := hub.Init(*dir, o)
	if err != nil {
		return err
	}
	r := res.Roster.Roster
	fmt.Fprintf(e.stdout, "created the hub of network %s in %s\n", r.Network, *dir)
	fmt.Fprintf(e.stdout, "  secretariat:       %s (%s)\n", res.Card.Agency, res.Card.Name)
	fmt.Fprintf(e.stdout, "  member card:       %s  (public: every agency pins its signing_key)\n", res.CardPath)
	fmt.Fprintf(e.stdout, "  signing key id:    %s  (agencies confirm it with you out of band)\n", res.Card.KeyID())
	fmt.Fprintf(e.stdout, "  encryption:        %s\n", describeKind(r.Kind))
	fmt.Fprintf(e.stdout, "  roster:            serial %d, expires %s\n", r.Serial, r.Expires)
	fmt.Fprintf(e.stdout, "  admin creds:       %s  (read-only monitoring user; secret)\n", res.AdminCreds)
	fmt.Fprintf(e.stdout, "  secretariat creds: %s  (for the secretariat's own node; secret)\n", res.AgencyCreds)
	if res.AgencyCert != "" {
		fmt.Fprintf(e.stdout, "  secretariat cert:  %s, %s  (client certificate for mutual TLS; the key is secret)\n", res.AgencyCert, res.AgencyKey)
	}
	if res.TLS != nil {
		printTLS(e.stdout, res.TLS, o.TLS.VerifyClients)
	} else {
		fmt.Fprintf(e.stdout, "  TLS:               off: reach the hub through a VPN, or add TLS with 'casenode hub tls --dir %s --tls-host NAME'\n", *dir)
	}
	fmt.Fprintf(e.stdout, "next: admit agencies with 'casenode member add --dir %s CARD.json', then start the hub with 'casenode hub run --dir %s'\n", *dir, *dir)
	fmt.Fprintf(e.stdout, "configuration: %s\n", filepath.Join(*dir, config.HubFile))
	return nil
}
