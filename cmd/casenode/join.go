package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

func runJoin(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "join", "")
	var f joinFlags
	f.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	o, err := f.options(e)
	if err != nil {
		return err
	}
	j, err := agency.Join(f.dir, o)
	if err != nil {
		return joinError(err, f.dir)
	}
	printJoined(e, f.dir, j)
	return nil
}

// joinFlags are the flags of 'casenode join'.
type joinFlags struct {
	dir, hubs, creds, secretariat, apiListen, ca, tlsCert, tlsKey string
	force                                                         bool
}

func (f *joinFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "dir", "", "the agency's directory, from 'casenode init'")
	fs.StringVar(&f.hubs, "hub", "", "the hub's URL(s), comma-separated, e.g. nats://hub.wacap.example:4222")
	fs.StringVar(&f.creds, "creds", "", "the credentials file the secretariat handed over (copied into --dir, mode 0600)")
	fs.StringVar(&f.secretariat, "secretariat", "", "the secretariat's member card (member.json) or its public signing key (JWK): rosters are verified with it")
	fs.StringVar(&f.apiListen, "api-listen", "", "also serve the local API on this loopback HOST:PORT, with a bearer token in DIR/"+agency.JoinTokenFile)
	fs.StringVar(&f.ca, "ca", "", "the network CA certificate (ca.crt) the secretariat handed over, for a TLS hub (copied into --dir)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "with mutual TLS: the agency's client certificate AGENCY.crt (copied into --dir)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "with mutual TLS: the agency's client key AGENCY.key (copied into --dir, mode 0600)")
	fs.BoolVar(&f.force, "force", false, "join again: replace node.json (a broken one, or to change hub or secretariat), keeping the old files as FILE.bak-TIME")
}

// options checks the flags and reads the secretariat's key.
func (f *joinFlags) options(e *env) (agency.JoinOptions, error) {
	for _, r := range []struct{ name, v string }{{"dir", f.dir}, {"hub", f.hubs}, {"creds", f.creds}, {"secretariat", f.secretariat}} {
		if r.v == "" {
			return agency.JoinOptions{}, usageErrorf("join", "--%s is required", r.name)
		}
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return agency.JoinOptions{}, usageErrorf("join", "give both --tls-cert and --tls-key, or neither")
	}
	if err := checkDirExists(f.dir); err != nil {
		return agency.JoinOptions{}, err
	}
	card, err := identity.LoadCard(filepath.Join(f.dir, identity.CardFile))
	if err != nil {
		return agency.JoinOptions{}, withHintIfMissing(err, "is --dir the directory 'casenode init' created?")
	}
	key, err := loadSecretariatKey(e, f.secretariat, card.Network)
	if err != nil {
		return agency.JoinOptions{}, err
	}
	o := agency.JoinOptions{SecretariatKey: key, Creds: f.creds, CA: f.ca, TLSCert: f.tlsCert, TLSKey: f.tlsKey,
		APIListen: f.apiListen, Force: f.force, Now: e.now()}
	for _, u := range strings.Split(f.hubs, ",") {
		if u = strings.TrimSpace(u); u != "" {
			o.HubURLs = append(o.HubURLs, u)
		}
	}
	return o, nil
}

// joinError adds to an error of agency.Join what to do about it.
func joinError(err error, dir string) error {
	var h *agency.HandOverError
	switch {
	case errors.Is(err, agency.ErrJoined):
		return withHint(err, "edit it, or join again with --force (the old node.json is kept as a backup)")
	case errors.As(err, &h) && errors.Is(err, fs.ErrExist):
		return withHint(fmt.Errorf("--%s %s: %v", h.Item, h.Path, h.Err), "move it away first if the new file is the right one, or join again with --force (the old file is kept as a backup)")
	case errors.As(err, &h):
		return withHint(fmt.Errorf("--%s %s: %v", h.Item, h.Path, h.Err), "--%s is a file the secretariat handed over for this agency", h.Item)
	case strings.HasPrefix(err.Error(), "node."):
		return withHint(err, "%s", joinHint(err))
	}
	return withHintIfMissing(err, "is --dir the directory 'casenode init' created?")
}

// printJoined tells what join wrote and what comes next.
func printJoined(e *env, dir string, j *agency.Joined) {
	cfg, w := j.Config, e.stdout
	fmt.Fprintf(w, "agency %s joined network %s\n", j.Card.Agency, j.Card.Network)
	fmt.Fprintf(w, "  configuration:   %s\n", j.NodeFile)
	fmt.Fprintf(w, "  hub:             %s\n", strings.Join(cfg.HubURLs, ", "))
	fmt.Fprintf(w, "  credentials:     %s (mode 0600)\n", filepath.Join(dir, cfg.CredsFile))
	if cfg.CAFile != "" {
		fmt.Fprintf(w, "  TLS:             the hub's certificate must be signed by %s", filepath.Join(dir, cfg.CAFile))
		if cfg.TLSCertFile != "" {
			fmt.Fprintf(w, "; client certificate %s", filepath.Join(dir, cfg.TLSCertFile))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  secretariat key: %s (rosters must be signed with it)\n", cfg.SecretariatKey.KeyID)
	for _, b := range j.Backups {
		fmt.Fprintf(w, "  kept the old file as %s\n", b)
	}
	fmt.Fprintf(w, "next: casenode run --dir %s\n", dir)
}

// joinHint names the flag behind a configuration error.
func joinHint(err error) string {
	switch s := err.Error(); {
	case strings.HasPrefix(s, "node.hub_urls"):
		return "check --hub: one or more nats://HOST:PORT URLs, comma-separated"
	case strings.HasPrefix(s, "node.secretariat_key"):
		return "check --secretariat: the secretariat's member.json or its signing_key"
	case strings.HasPrefix(s, "node.api"):
		return "check --api-listen: a loopback HOST:PORT such as 127.0.0.1:8470"
	}
	return "check the flags of 'casenode join'"
}

// loadSecretariatKey reads the secretariat's public signing key from its
// member card or from a JWK file. A card must be of network, unless
// network is empty.
func loadSecretariatKey(e *env, path, network string) (*jose.JSONWebKey, error) {
	data, err := readInput(e, path, "secretariat key", protocol.MaxCardSize)
	if err != nil {
		return nil, withHint(err, "--secretariat is the secretariat's member.json, or its public signing key as a JWK")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, withHint(fmt.Errorf("--secretariat %s: not JSON: %v", path, err), "--secretariat is the secretariat's member.json, or its public signing key as a JWK")
	}
	if _, isCard := probe["signing_key"]; isCard {
		card, err := protocol.ParseMemberCard(data)
		if err != nil {
			return nil, withHint(fmt.Errorf("--secretariat %s: %w", path, err), "get the secretariat's member.json again")
		}
		if network != "" && card.Network != network {
			return nil, withHint(fmt.Errorf("--secretariat %s is the card of %s in network %q, but this agency is in network %q", path, card.Agency, card.Network, network),
				"use the card of the secretariat of network %s", network)
		}
		k := card.SigningKey
		return &k, nil
	}
	if _, private := probe["d"]; private {
		return nil, withHint(fmt.Errorf("--secretariat %s holds a private key", path), "the secretariat hands out only its public key; never copy its signing.jwk")
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(data); err != nil {
		return nil, withHint(fmt.Errorf("--secretariat %s: not a JWK: %v", path, err), "--secretariat is the secretariat's member.json, or its public signing key as a JWK")
	}
	pub, ok := k.Key.(ed25519.PublicKey)
	if !ok {
		return nil, withHint(fmt.Errorf("--secretariat %s is not a public Ed25519 key", path), "the secretariat's key has kty OKP and crv Ed25519")
	}
	want := protocol.PublicJWK(pub)
	if k.KeyID != "" && k.KeyID != want.KeyID {
		return nil, fmt.Errorf("--secretariat %s: kid %q is not the key's RFC 7638 thumbprint %q", path, k.KeyID, want.KeyID)
	}
	return &want, nil
}
