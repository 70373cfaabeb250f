package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

// Names join gives, in the node directory, to what it writes or copies.
const (
	apiTokenFile = "api.token"  // the TCP API's token, with --api-listen
	caFile       = "ca.crt"     // the network CA certificate, with --ca
	tlsCertFile  = "client.crt" // the client certificate, with --tls-cert
	tlsKeyFile   = "client.key" // its key, with --tls-key
)

func runJoin(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "join", "")
	dir := fs.String("dir", "", "the agency's directory, from 'casenode init'")
	hubs := fs.String("hub", "", "the hub's URL(s), comma-separated, e.g. nats://hub.wacap.example:4222")
	creds := fs.String("creds", "", "the credentials file the secretariat handed over (copied into --dir, mode 0600)")
	secretariat := fs.String("secretariat", "", "the secretariat's member card (member.json) or its public signing key (JWK): rosters are verified with it")
	apiListen := fs.String("api-listen", "", "also serve the local API on this loopback HOST:PORT, with a bearer token in DIR/"+apiTokenFile)
	ca := fs.String("ca", "", "the network CA certificate (ca.crt) the secretariat handed over, for a TLS hub (copied into --dir)")
	tlsCert := fs.String("tls-cert", "", "with mutual TLS: the agency's client certificate AGENCY.crt (copied into --dir)")
	tlsKey := fs.String("tls-key", "", "with mutual TLS: the agency's client key AGENCY.key (copied into --dir, mode 0600)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	for name, v := range map[string]string{"dir": *dir, "hub": *hubs, "creds": *creds, "secretariat": *secretariat} {
		if v == "" {
			return usageErrorf("join", "--%s is required", name)
		}
	}
	card, err := identity.LoadCard(filepath.Join(*dir, identity.CardFile))
	if err != nil {
		return withHintIfMissing(err, "is --dir the directory 'casenode init' created?")
	}
	nodeFile := filepath.Join(*dir, config.NodeFile)
	if _, err := os.Stat(nodeFile); err == nil {
		return withHint(fmt.Errorf("%s already exists: agency %s has joined already", nodeFile, card.Agency),
			"edit it, or remove it to join again")
	}
	key, err := loadSecretariatKey(e, *secretariat, card.Network)
	if err != nil {
		return err
	}
	cfg := config.DefaultNode()
	cfg.Network, cfg.Agency = card.Network, card.Agency
	for _, u := range strings.Split(*hubs, ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.HubURLs = append(cfg.HubURLs, u)
		}
	}
	cfg.SecretariatKey = key
	if *apiListen != "" {
		cfg.API.Listen, cfg.API.TokenFile = *apiListen, apiTokenFile
	}
	// Files handed over are copied into the directory, under fixed names,
	// so that it holds everything the node needs.
	copies := []struct{ flag, src, dst string }{{"creds", *creds, cfg.CredsFile}}
	if *ca != "" {
		cfg.CAFile = caFile
		copies = append(copies, struct{ flag, src, dst string }{"ca", *ca, caFile})
	}
	if *tlsCert != "" || *tlsKey != "" {
		cfg.TLSCertFile, cfg.TLSKeyFile = tlsCertFile, tlsKeyFile
		copies = append(copies, struct{ flag, src, dst string }{"tls-cert", *tlsCert, tlsCertFile}, struct{ flag, src, dst string }{"tls-key", *tlsKey, tlsKeyFile})
	}
	if err := cfg.Validate(); err != nil {
		return withHint(err, "%s", joinHint(err))
	}
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageErrorf("join", "give both --tls-cert and --tls-key, or neither")
	}
	for _, c := range copies {
		if err := copyHandedOver(c.flag, c.src, filepath.Join(*dir, c.dst)); err != nil {
			return err
		}
	}
	if err := writeNew(e, nodeFile, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "agency %s joined network %s\n", card.Agency, card.Network)
	fmt.Fprintf(e.stdout, "  configuration:   %s\n", nodeFile)
	fmt.Fprintf(e.stdout, "  hub:             %s\n", strings.Join(cfg.HubURLs, ", "))
	fmt.Fprintf(e.stdout, "  credentials:     %s (mode 0600)\n", filepath.Join(*dir, cfg.CredsFile))
	if cfg.CAFile != "" {
		fmt.Fprintf(e.stdout, "  TLS:             the hub's certificate must be signed by %s", filepath.Join(*dir, cfg.CAFile))
		if cfg.TLSCertFile != "" {
			fmt.Fprintf(e.stdout, "; client certificate %s", filepath.Join(*dir, cfg.TLSCertFile))
		}
		fmt.Fprintln(e.stdout)
	}
	fmt.Fprintf(e.stdout, "  secretariat key: %s (rosters must be signed with it)\n", key.KeyID)
	fmt.Fprintf(e.stdout, "next: casenode run --dir %s\n", *dir)
	return nil
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
// member card or from a JWK file.
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
		if card.Network != network {
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

// copyHandedOver copies a file the secretariat handed over into the node
// directory with mode 0600, checking that credentials look like
// credentials. It leaves an identical copy alone and refuses to replace
// another.
func copyHandedOver(flag, src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return withHint(fmt.Errorf("--%s: %w", flag, err), "--%s is a file the secretariat handed over for this agency", flag)
	}
	if flag == "creds" && !bytes.Contains(data, []byte("BEGIN USER NKEY SEED")) {
		return withHint(fmt.Errorf("--creds %s is not a credentials file (no NKey seed in it)", src), "--creds is the file the secretariat handed over for this agency")
	}
	if abs1, _ := filepath.Abs(src); abs1 != "" {
		if abs2, _ := filepath.Abs(dst); abs1 == abs2 {
			return os.Chmod(dst, 0o600)
		}
	}
	old, err := os.ReadFile(dst)
	switch {
	case err == nil && bytes.Equal(old, data):
		return os.Chmod(dst, 0o600)
	case err == nil:
		return withHint(fmt.Errorf("%s exists with other content than --%s %s", dst, flag, src), "move it away first if the new file is the right one")
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return writeFileExclusive(dst, data, 0o600)
}
