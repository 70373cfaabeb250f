// Package identity creates, stores and loads an agency's keys: its Ed25519
// signing key, its age encryption identity and its public member card.
//
// On disk an identity is three files in one directory:
//
//	signing.jwk        the private Ed25519 key as a JWK (secret, 0600)
//	age-identity.txt   the age identity in age-keygen's format (secret, 0600),
//	                   usable as `age -d -i age-identity.txt`
//	member.json        the public member card
//	keys/              previous keys, after a rotation (see Rotate)
//
// With a passphrase, both secret files hold their content encrypted to an age
// scrypt recipient, ASCII-armored; the reference age tool still accepts the
// encrypted identity file with -i and asks for the passphrase.
package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"filippo.io/age"
	"github.com/casenode/casenode/protocol"
)

// File names inside an identity directory.
const (
	SigningKeyFile  = "signing.jwk"
	AgeIdentityFile = "age-identity.txt"
	CardFile        = "member.json"
)

// Identity is an agency's secret keys and its public member card.
type Identity struct {
	// Card is the public member card matching the keys.
	Card *protocol.MemberCard
	// Signing is the Ed25519 key that signs every message and receipt.
	Signing ed25519.PrivateKey
	// Age decrypts messages sealed to the agency: an *age.HybridIdentity or
	// an *age.X25519Identity.
	Age age.Identity
	// Previous are the agency's previous keys, newest first, as LoadAll
	// reads them; Load leaves it empty. Their age identities still decrypt
	// messages sealed before the rotation.
	Previous []*Identity
	// ageText is the identity's AGE-SECRET-KEY-… string.
	ageText string
}

// Generate creates a new identity for agency in network. kind chooses the
// age recipient type: protocol.KindHybrid (post-quantum, the default) or
// protocol.KindClassic.
func Generate(network, agency, name, country string, kind protocol.RecipientKind, now time.Time) (*Identity, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	id := &Identity{Signing: priv}
	var recipient string
	switch kind {
	case protocol.KindHybrid:
		k, err := age.GenerateHybridIdentity()
		if err != nil {
			return nil, fmt.Errorf("generate age identity: %w", err)
		}
		id.Age, id.ageText, recipient = k, k.String(), k.Recipient().String()
	case protocol.KindClassic:
		k, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, fmt.Errorf("generate age identity: %w", err)
		}
		id.Age, id.ageText, recipient = k, k.String(), k.Recipient().String()
	default:
		return nil, fmt.Errorf("unknown recipient kind %q", kind)
	}
	id.Card = &protocol.MemberCard{
		Version:      protocol.CardVersion,
		Network:      network,
		Agency:       agency,
		Name:         name,
		Country:      country,
		SigningKey:   protocol.PublicJWK(pub),
		AgeRecipient: recipient,
		Created:      protocol.NewTime(now),
	}
	if err := id.Card.Validate(); err != nil {
		return nil, err
	}
	return id, nil
}

// Agency returns the agency id.
func (id *Identity) Agency() string { return id.Card.Agency }

// Network returns the network id.
func (id *Identity) Network() string { return id.Card.Network }

// KeyID returns the kid of the signing key.
func (id *Identity) KeyID() string { return id.Card.KeyID() }
