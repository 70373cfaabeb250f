package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/casenode/casenode/crypto/identity"
)

func runKeysRotate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "keys rotate", "")
	var f identityFlags
	f.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if f.dir == "" {
		return usageErrorf("keys rotate", "--dir is required")
	}
	logN, err := workFactor(e)
	if err != nil {
		return err
	}
	src := &passphraseSource{e: e, fromStdin: f.passphraseStdin}
	old, cur, err := identity.Rotate(f.dir, func() ([]byte, error) { return src.get(false) }, logN, e.now())
	if err != nil {
		return withHintIfMissing(err, "is --dir the directory 'casenode init' created?")
	}
	keys := filepath.Join(f.dir, identity.KeysDir)
	fmt.Fprintf(e.stdout, "new keys for agency %s in network %s\n", cur.Agency(), cur.Network())
	fmt.Fprintf(e.stdout, "  new signing key id:  %s\n", cur.KeyID())
	fmt.Fprintf(e.stdout, "  new member card:     %s  (public: send it to the secretariat)\n", filepath.Join(f.dir, identity.CardFile))
	fmt.Fprintf(e.stdout, "  previous key id:     %s, kept in %s (secret files 0600: they still open messages sealed to it)\n", old.KeyID(), keys)
	fmt.Fprintf(e.stdout, "next: the secretariat runs 'casenode member rotate --dir HUB member.json'; confirm the new key id with it by a second channel.\n")
	fmt.Fprintf(e.stdout, "A running node takes the new keys once the roster lists the new card; until then it signs with the previous key. It reads messages sealed to either.\n")
	return nil
}
