package protocol

import (
	"crypto"
	"crypto/ed25519"
	"fmt"
	"strings"

	"filippo.io/age"
	"github.com/go-jose/go-jose/v4"
)

// CardVersion is the version of the member card format.
const CardVersion = 1

// MaxCardSize bounds an encoded member card. A post-quantum age recipient
// alone is about 2,000 characters.
const MaxCardSize = 16 << 10

// MemberCard is an agency's public identity in its network: who it is, the
// key it signs with and the age recipient others encrypt to. It is public;
// its authority comes from the network roster that lists it.
type MemberCard struct {
	Version      int             `json:"v"`
	Network      string          `json:"network"`
	Agency       string          `json:"agency"`
	Name         string          `json:"name"`
	Country      string          `json:"country"`
	SigningKey   jose.JSONWebKey `json:"signing_key"`
	AgeRecipient string          `json:"age_recipient"`
	Created      Time            `json:"created"`
}

// RecipientKind is the kind of age recipient a network uses throughout.
type RecipientKind string

const (
	// KindHybrid is age's post-quantum hybrid ML-KEM-768 + X25519 recipient
	// (age1pq1…), the default.
	KindHybrid RecipientKind = "mlkem768x25519"
	// KindClassic is age's X25519 recipient (age1…).
	KindClassic RecipientKind = "x25519"
)

// KindOf returns the kind of an age recipient string.
func KindOf(recipient string) RecipientKind {
	if strings.HasPrefix(recipient, "age1pq1") {
		return KindHybrid
	}
	return KindClassic
}

// ParseRecipient parses an age recipient of either supported kind.
func ParseRecipient(s string) (age.Recipient, error) {
	if KindOf(s) == KindHybrid {
		return age.ParseHybridRecipient(s)
	}
	return age.ParseX25519Recipient(s)
}

// KeyID returns the RFC 7638 SHA-256 thumbprint of an Ed25519 public key,
// base64url without padding: the kid by which it is named everywhere.
func KeyID(pub ed25519.PublicKey) string {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		panic("casenode: thumbprint of an Ed25519 key: " + err.Error())
	}
	return b64(tp)
}

// PublicJWK returns the public JWK of an Ed25519 key as it appears on a member
// card: kid is its thumbprint, alg EdDSA, use sig.
func PublicJWK(pub ed25519.PublicKey) jose.JSONWebKey {
	return jose.JSONWebKey{Key: pub, KeyID: KeyID(pub), Algorithm: string(jose.EdDSA), Use: "sig"}
}

// ParseMemberCard decodes and validates a member card.
func ParseMemberCard(data []byte) (*MemberCard, error) {
	var c MemberCard
	if err := DecodeStrict("member card", data, MaxCardSize, &c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Marshal returns the card's canonical encoding.
func (c *MemberCard) Marshal() ([]byte, error) { return Marshal(c) }

// PublicKey returns the card's Ed25519 signing key. Validate guarantees it.
func (c *MemberCard) PublicKey() ed25519.PublicKey {
	pub, _ := c.SigningKey.Key.(ed25519.PublicKey)
	return pub
}

// KeyID returns the kid of the card's signing key.
func (c *MemberCard) KeyID() string { return c.SigningKey.KeyID }

// Kind returns the kind of the card's age recipient.
func (c *MemberCard) Kind() RecipientKind { return KindOf(c.AgeRecipient) }

// Validate checks every field of the card; errors name the field.
func (c *MemberCard) Validate() error {
	_, err := c.validate()
	return err
}

// validate is Validate, returning the parsed age recipient.
func (c *MemberCard) validate() (age.Recipient, error) {
	if err := c.ValidateFields(); err != nil {
		return nil, err
	}
	r, err := ParseRecipient(c.AgeRecipient)
	if err != nil {
		return nil, fmt.Errorf("member card age_recipient: %v", err)
	}
	return r, nil
}

// ValidateFields is Validate but for parsing the age recipient, which for
// a post-quantum key costs a third of a seal: for callers that parse it
// anyway, once, and keep the result (seal.Sealer).
func (c *MemberCard) ValidateFields() error {
	if c.Version != CardVersion {
		return fmt.Errorf("member card v: unsupported version %d (this casenode reads version %d)", c.Version, CardVersion)
	}
	if err := ValidateID("network", c.Network); err != nil {
		return fmt.Errorf("member card network: %w", err)
	}
	if err := ValidateID("agency", c.Agency); err != nil {
		return fmt.Errorf("member card agency: %w", err)
	}
	if err := ValidateText(c.Name, 1, 200); err != nil {
		return fmt.Errorf("member card name: %w", err)
	}
	if err := ValidateCountry(c.Country); err != nil {
		return fmt.Errorf("member card country: %w", err)
	}
	pub, ok := c.SigningKey.Key.(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("member card signing_key: must be a public Ed25519 JWK (kty OKP, crv Ed25519)")
	}
	if want := KeyID(pub); c.SigningKey.KeyID != want {
		return fmt.Errorf("member card signing_key.kid: %q is not the key's RFC 7638 thumbprint %q", c.SigningKey.KeyID, want)
	}
	if c.SigningKey.Algorithm != string(jose.EdDSA) {
		return fmt.Errorf("member card signing_key.alg: must be EdDSA")
	}
	if c.SigningKey.Use != "sig" {
		return fmt.Errorf("member card signing_key.use: must be sig")
	}
	if c.Created.IsZero() {
		return fmt.Errorf("member card created: must be set")
	}
	return nil
}
