package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
)

func runInit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "init", "")
	dir := fs.String("dir", "", "directory for the agency's keys and member card (created if missing)")
	network := fs.String("network", "", "network id, e.g. wacap ("+protocol.IDRule+")")
	agency := fs.String("agency", "", "agency id, e.g. sn-pj-dakar")
	name := fs.String("name", "", "the agency's display name")
	country := fs.String("country", "", "the agency's country, ISO 3166-1 alpha-2 (e.g. SN)")
	classic := fs.Bool("classic", false, "use classic X25519 age keys instead of post-quantum hybrid ones (the whole network must use one kind)")
	protect := fs.Bool("passphrase", false, "encrypt the secret keys with a passphrase ($"+passphraseEnv+", --passphrase-stdin, or a prompt)")
	stdin := fs.Bool("passphrase-stdin", false, "with --passphrase: read it from the first line of standard input")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	for flagName, v := range map[string]string{"dir": *dir, "network": *network, "agency": *agency, "name": *name, "country": *country} {
		if v == "" {
			return usageErrorf("init", "--%s is required", flagName)
		}
	}
	if err := protocol.ValidateID("network", *network); err != nil {
		return usageErrorf("init", "--network: %v", err)
	}
	if err := protocol.ValidateID("agency", *agency); err != nil {
		return usageErrorf("init", "--agency: %v", err)
	}
	*country = countryCode(*country)
	if err := protocol.ValidateCountry(*country); err != nil {
		return usageErrorf("init", "--country: %v", err)
	}
	kind := protocol.KindHybrid
	if *classic {
		kind = protocol.KindClassic
	}
	id, err := identity.Generate(*network, *agency, *name, *country, kind, e.now())
	if err != nil {
		return err
	}
	var pass []byte
	if *protect {
		src := &passphraseSource{e: e, fromStdin: *stdin}
		if pass, err = src.get(true); err != nil {
			return err
		}
	}
	logN, err := workFactor(e)
	if err != nil {
		return err
	}
	if err := id.SaveWorkFactor(*dir, pass, logN); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created agency %s (%s) in network %s\n", id.Agency(), id.Card.Name, id.Network())
	fmt.Fprintf(e.stdout, "  member card:    %s  (public: hand it to the secretariat and partner agencies)\n", filepath.Join(*dir, identity.CardFile))
	fmt.Fprintf(e.stdout, "  signing key id: %s\n", id.KeyID())
	fmt.Fprintf(e.stdout, "  encryption:     %s\n", describeKind(kind))
	if pass != nil {
		fmt.Fprintf(e.stdout, "  secret keys:    encrypted with your passphrase\n")
	} else {
		fmt.Fprintf(e.stdout, "  secret keys:    %s, %s (mode 0600; keep them on this machine)\n",
			filepath.Join(*dir, identity.SigningKeyFile), filepath.Join(*dir, identity.AgeIdentityFile))
	}
	return nil
}

// workFactorEnv overrides the scrypt work factor of passphrase-protected
// keys. It exists for tests; the default (age's, 18) is right for people.
const workFactorEnv = "CASENODE_SCRYPT_WORK_FACTOR"

func workFactor(e *env) (int, error) {
	v := e.getenv(workFactorEnv)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 22 {
		return 0, fmt.Errorf("$%s: %q must be a whole number from 1 to 22", workFactorEnv, v)
	}
	return n, nil
}
