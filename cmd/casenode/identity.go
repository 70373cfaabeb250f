package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/protocol"
)

// identityFlags are the flags of every command that uses the agency's
// secret keys.
type identityFlags struct {
	dir             string
	passphraseStdin bool
}

func (f *identityFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "dir", "", "the agency's directory (from 'casenode init')")
	fs.BoolVar(&f.passphraseStdin, "passphrase-stdin", false, "read the key passphrase from the first line of standard input (else $"+passphraseEnv+", else a prompt)")
}

// load reads the agency's identity, asking for the passphrase if the keys
// are encrypted.
func (f *identityFlags) load(e *env, cmd string) (*identity.Identity, error) {
	if f.dir == "" {
		return nil, usageErrorf(cmd, "--dir is required")
	}
	src := &passphraseSource{e: e, fromStdin: f.passphraseStdin}
	id, err := identity.Load(f.dir, func() ([]byte, error) { return src.get(false) })
	if err != nil {
		return nil, withHintIfMissing(err, "is --dir the directory 'casenode init' created?")
	}
	return id, nil
}

// withHintIfMissing adds fix to err unless err already carries a hint.
func withHintIfMissing(err error, fix string) error {
	var h hint.Hinted
	if errors.As(err, &h) {
		return err
	}
	return withHint(err, "%s", fix)
}

// loadCards reads a comma-separated list of member card files.
func loadCards(list string) ([]*protocol.MemberCard, error) {
	var cards []*protocol.MemberCard
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		c, err := identity.LoadCard(p)
		if err != nil {
			return nil, withHint(err, "a member card is the member.json that 'casenode init' writes in the agency's directory")
		}
		cards = append(cards, c)
	}
	return cards, nil
}

// describeKind names a recipient kind for people.
func describeKind(k protocol.RecipientKind) string {
	if k == protocol.KindHybrid {
		return "post-quantum hybrid (ML-KEM-768 + X25519)"
	}
	return fmt.Sprintf("classic (%s)", k)
}
