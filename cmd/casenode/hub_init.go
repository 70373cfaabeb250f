package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

func runHubInit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub init", "")
	var f hubInitFlags
	f.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	o, err := f.options(e)
	if err != nil {
		return err
	}
	res, err := hub.Init(f.dir, o)
	if err != nil {
		return err
	}
	printHubInit(e, f.dir, res, f.tls.verifyClients)
	return nil
}

// hubInitFlags are the flags of 'casenode hub init'.
type hubInitFlags struct {
	dir, network, agency, name, country, listen, credsOut string
	classic, protect, stdin, withTLS                      bool
	tls                                                   tlsFlags
	cluster                                               clusterFlags
}

func (f *hubInitFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "dir", "", "the new hub directory (created if missing)")
	fs.StringVar(&f.network, "network", "", "the network id, e.g. wacap ("+protocol.IDRule+")")
	fs.StringVar(&f.agency, "agency", "", "the secretariat's agency id (default NETWORK-secretariat)")
	fs.StringVar(&f.name, "name", "", "the secretariat's display name (default \"Secretariat of NETWORK\")")
	fs.StringVar(&f.country, "country", "", "the secretariat's country, ISO 3166-1 alpha-2 (e.g. SN)")
	fs.BoolVar(&f.classic, "classic", false, "the network uses classic X25519 age keys instead of post-quantum hybrid ones (every member must match)")
	fs.StringVar(&f.listen, "listen", "", "HOST:PORT the hub listens on (default "+config.DefaultHubListen+")")
	fs.StringVar(&f.credsOut, "creds-out", "", "where to write the secretariat's own agency credentials (default DIR/creds/AGENCY.creds)")
	fs.BoolVar(&f.protect, "passphrase", false, "encrypt the secretariat's secret keys with a passphrase ($"+passphraseEnv+", --passphrase-stdin, or a prompt)")
	fs.BoolVar(&f.stdin, "passphrase-stdin", false, "with --passphrase: read it from the first line of standard input")
	fs.BoolVar(&f.withTLS, "tls", false, "serve TLS: make a private network CA and the hub's certificate (see --tls-host)")
	f.tls.register(fs)
	f.cluster.register(fs)
}

// options checks the flags and turns them into hub.Init's options, asking
// for the passphrase with --passphrase.
func (f *hubInitFlags) options(e *env) (hub.InitOptions, error) {
	for flagName, v := range map[string]string{"dir": f.dir, "network": f.network, "country": f.country} {
		if v == "" {
			return hub.InitOptions{}, usageErrorf("hub init", "--%s is required", flagName)
		}
	}
	o := hub.InitOptions{Network: f.network, Agency: f.agency, Name: f.name, Country: countryCode(f.country), Kind: protocol.KindHybrid,
		Listen: f.listen, CredsOut: f.credsOut, Now: e.now()}
	if f.classic {
		o.Kind = protocol.KindClassic
	}
	if err := protocol.ValidateID("network", o.Network); err != nil {
		return o, usageErrorf("hub init", "--network: %v", err)
	}
	if err := protocol.ValidateCountry(o.Country); err != nil {
		return o, usageErrorf("hub init", "--country: %v", err)
	}
	if o.Agency != "" {
		if err := protocol.ValidateID("agency", o.Agency); err != nil {
			return o, usageErrorf("hub init", "--agency: %v", err)
		}
	}
	var err error
	if o.Cluster, err = f.cluster.section("hub init"); err != nil {
		return o, err
	}
	if o.TLS, err = f.tlsOptions(); err != nil {
		return o, err
	}
	if f.protect {
		src := &passphraseSource{e: e, fromStdin: f.stdin}
		if o.Passphrase, err = src.get(true); err != nil {
			return o, err
		}
		if o.WorkFactor, err = workFactor(e); err != nil {
			return o, err
		}
	}
	return o, nil
}

// tlsOptions checks the TLS flags: they need --tls, and a hub listening
// on every address needs a name for its certificate.
func (f *hubInitFlags) tlsOptions() (*hub.TLSOptions, error) {
	if !f.withTLS {
		if len(f.tls.hosts) > 0 || f.tls.verifyClients {
			return nil, usageErrorf("hub init", "--tls-host and --tls-verify-clients need --tls")
		}
		return nil, nil
	}
	o, err := f.tls.options("hub init")
	if err != nil {
		return nil, err
	}
	if host, _, _ := net.SplitHostPort(f.listen); len(f.tls.hosts) == 0 && f.listen != "" && (host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified()) {
		return nil, usageErrorf("hub init", "--tls with --listen %s needs --tls-host: the hub's certificate must name the host agencies put in their hub URL", f.listen)
	}
	return o, nil
}

// printHubInit tells what 'hub init' created and what comes next.
func printHubInit(e *env, dir string, res *hub.InitResult, verifyClients bool) {
	r := res.Roster.Roster
	w := e.stdout
	fmt.Fprintf(w, "created the hub of network %s in %s\n", r.Network, dir)
	fmt.Fprintf(w, "  secretariat:       %s (%s)\n", res.Card.Agency, res.Card.Name)
	fmt.Fprintf(w, "  member card:       %s  (public: every agency pins its signing_key)\n", res.CardPath)
	fmt.Fprintf(w, "  signing key id:    %s  (agencies confirm it with you out of band)\n", res.Card.KeyID())
	fmt.Fprintf(w, "  encryption:        %s\n", describeKind(r.Kind))
	fmt.Fprintf(w, "  roster:            serial %d, expires %s\n", r.Serial, r.Expires)
	fmt.Fprintf(w, "  admin creds:       %s  (read-only monitoring user; secret)\n", res.AdminCreds)
	fmt.Fprintf(w, "  secretariat creds: %s  (for the secretariat's own node; secret)\n", res.AgencyCreds)
	if res.AgencyCert != "" {
		fmt.Fprintf(w, "  secretariat cert:  %s, %s  (client certificate for mutual TLS; the key is secret)\n", res.AgencyCert, res.AgencyKey)
	}
	if res.TLS != nil {
		printTLS(w, res.TLS, verifyClients)
	} else {
		fmt.Fprintf(w, "  TLS:               off: reach the hub through a VPN, or add TLS with 'casenode hub tls --dir %s --tls-host NAME'\n", dir)
	}
	fmt.Fprintf(w, "next: admit agencies with 'casenode member add --dir %s CARD.json', then start the hub with 'casenode hub run --dir %s'\n", dir, dir)
	fmt.Fprintf(w, "configuration: %s\n", filepath.Join(dir, config.HubFile))
}

// countryCode is a --country flag as people type it, in the upper case of
// ISO 3166-1: "sn" is SN.
func countryCode(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}
