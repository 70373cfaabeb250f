package hub

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/protocol"
)

// SignedRoster is a roster with the JWS that carries it.
type SignedRoster struct {
	Roster *protocol.Roster
	// JWS is the compact JWS, typ protocol.RosterType, as stored in
	// roster.jws and in the roster bucket.
	JWS []byte
}

// SignRoster validates r and signs it with the secretariat's key.
func SignRoster(key ed25519.PrivateKey, r *protocol.Roster) (*SignedRoster, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	payload, err := r.Marshal()
	if err != nil {
		return nil, err
	}
	pub, _ := key.Public().(ed25519.PublicKey)
	if err := r.CheckSigner(protocol.KeyID(pub)); err != nil {
		return nil, fmt.Errorf("sign roster: %w", err)
	}
	compact, err := jws.Sign(key, protocol.RosterType, nil, payload)
	if err != nil {
		return nil, fmt.Errorf("sign roster: %w", err)
	}
	return &SignedRoster{Roster: r, JWS: compact}, nil
}

// VerifyRoster verifies a signed roster with pinned, the secretariat's key,
// and returns it. It is the check that docs/OPERATOR.md asks of every node,
// less the comparison with the roster in force.
func VerifyRoster(compact []byte, pinned ed25519.PublicKey) (*SignedRoster, error) {
	want := protocol.KeyID(pinned)
	payload, kid, err := jws.Verify(compact, protocol.RosterType, protocol.MaxSignedRosterSize, func(kid string) (ed25519.PublicKey, error) {
		if kid != want {
			return nil, fmt.Errorf("roster is signed by key %s, not by the secretariat's key %s", kid, want)
		}
		return pinned, nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify roster: %w", err)
	}
	r, err := protocol.ParseRoster(payload)
	if err != nil {
		return nil, err
	}
	if err := r.CheckSigner(kid); err != nil {
		return nil, err
	}
	return &SignedRoster{Roster: r, JWS: compact}, nil
}

// secretariatCard reads the secretariat's public member card, the hub's
// trust anchor for roster.jws.
func secretariatCard(dir string) (*protocol.MemberCard, error) {
	return identity.LoadCard(filepath.Join(dir, SecretariatDir, identity.CardFile))
}

// loadRoster reads and verifies dir/roster.jws against the secretariat's
// card, and checks that it is for network.
func loadRoster(dir, network string) (*SignedRoster, error) {
	card, err := secretariatCard(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, RosterFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, protocol.MaxSignedRosterSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	sr, err := VerifyRoster(data, card.PublicKey())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sr.Roster.Network != network {
		return nil, fmt.Errorf("%s: roster is for network %q, but the hub serves %q", path, sr.Roster.Network, network)
	}
	if sr.Roster.Secretariat != card.Agency {
		return nil, fmt.Errorf("%s: roster names %q as secretariat, but %s is %q's card", path, sr.Roster.Secretariat, filepath.Join(dir, SecretariatDir), card.Agency)
	}
	return sr, nil
}

// storeRoster replaces dir/roster.jws.
func storeRoster(dir string, sr *SignedRoster) error {
	return durable.Replace(filepath.Join(dir, RosterFile), sr.JWS, 0o644)
}
