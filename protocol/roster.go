package protocol

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/go-jose/go-jose/v4"
)

// RosterVersion is the version of the roster format.
const RosterVersion = 1

// RosterType is the JWS "typ" of a signed roster.
const RosterType = "casenode-roster+jws"

// MaxRosterSize bounds an encoded roster: about 250 members with
// post-quantum cards fit in 1 MiB.
const MaxRosterSize = 4 << 20

// MaxSignedRosterSize bounds a signed roster: the base64url payload plus a
// protected header and a signature.
const MaxSignedRosterSize = MaxRosterSize/3*4 + 4<<10

// MemberStatus is a member's standing in a roster.
type MemberStatus string

const (
	// StatusActive is a member whose messages are accepted.
	StatusActive MemberStatus = "active"
	// StatusRevoked is a former member: messages judged after Since are
	// refused. A revoked agency id is never reused.
	StatusRevoked MemberStatus = "revoked"
	// StatusSuspended is a member whose current key was revoked at Since
	// (a stolen laptop): messages judged after Since are refused, nobody
	// seals to it and the hub refuses its connection, until the
	// secretariat installs its new member card, which makes it active
	// again.
	StatusSuspended MemberStatus = "suspended"
)

// MaxPreviousKeys bounds the previous keys a roster keeps per member.
const MaxPreviousKeys = 16

// Roster is a network's list of members, signed by its secretariat. It is the
// only source of trust in other agencies' keys. Each new roster has a higher
// serial; a node never goes back to a lower one.
type Roster struct {
	Version int    `json:"v"`
	Network string `json:"network"`
	// Serial increases by at least one with every roster the secretariat
	// signs.
	Serial uint64 `json:"serial"`
	// Kind is the kind of age recipient every member card must have.
	Kind    RecipientKind `json:"kind"`
	Issued  Time          `json:"issued"`
	Expires Time          `json:"expires"`
	// Secretariat is the agency id of the secretariat, itself an active
	// member, whose key signs the roster.
	Secretariat string `json:"secretariat"`
	// Members is sorted by agency id, each agency once.
	Members []RosterMember `json:"members"`
	// Witnesses are the verifier keys of the witnesses whose cosignatures
	// of audit-log checkpoints the network trusts (WitnessKey). Optional:
	// rosters signed before witnesses existed have none.
	Witnesses []string `json:"witnesses,omitempty"`
}

// RosterMember is one agency's entry in a roster.
type RosterMember struct {
	Card   MemberCard   `json:"card"`
	Status MemberStatus `json:"status"`
	// Since is when Status took effect.
	Since Time `json:"since"`
	// Previous are signing keys the member used before its card's, in the
	// order they were replaced. Optional: absent when there are none.
	Previous []PreviousKey `json:"previous,omitempty"`
}

// PreviousKey is a signing key a member replaced (a key rotation) or lost
// (a revoked key). Messages judged before ValidUntil still verify with it,
// so that old and new keys overlap while every node learns the new card.
type PreviousKey struct {
	// SigningKey is the public Ed25519 JWK, in the form of a member card's
	// signing_key.
	SigningKey jose.JSONWebKey `json:"signing_key"`
	// ValidUntil is when the key stopped being trusted.
	ValidUntil Time `json:"valid_until"`
	// Revoked says the key was revoked, not merely replaced: messages
	// judged after ValidUntil are refused as revoked, not as unknown-key.
	Revoked bool `json:"revoked,omitempty"`
}

// KeyID returns the kid of the previous key.
func (p *PreviousKey) KeyID() string { return p.SigningKey.KeyID }

// PublicKey returns the previous key. Validate guarantees it.
func (p *PreviousKey) PublicKey() ed25519.PublicKey {
	pub, _ := p.SigningKey.Key.(ed25519.PublicKey)
	return pub
}

// ParseRoster decodes a roster's canonical encoding and validates it. It does
// not check a signature: the caller verifies the JWS around it first.
func ParseRoster(data []byte) (*Roster, error) {
	r, _, err := ParseRosterRecipients(data)
	return r, err
}

// ParseRosterRecipients is ParseRoster, returning as well the members' age
// recipients it parsed to validate them, by their string in the cards: a
// sender that keeps them (seal.Sealer.Learn) need not parse them again,
// which for a post-quantum key costs about a third of a seal.
func ParseRosterRecipients(data []byte) (*Roster, map[string]age.Recipient, error) {
	var r Roster
	if err := DecodeCanonical("roster", data, MaxRosterSize, &r); err != nil {
		return nil, nil, err
	}
	parsed := make(map[string]age.Recipient, len(r.Members))
	if err := r.validate(parsed); err != nil {
		return nil, nil, err
	}
	return &r, parsed, nil
}

// Marshal returns the roster's canonical encoding.
func (r *Roster) Marshal() ([]byte, error) {
	b, err := Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode roster: %w", err)
	}
	if len(b) > MaxRosterSize {
		return nil, fmt.Errorf("encode roster: %d bytes, over the limit of %d", len(b), MaxRosterSize)
	}
	return b, nil
}

// Validate checks every field of the roster; errors name the field by its
// path, as in roster.members[3].card.country.
func (r *Roster) Validate() error { return r.validate(nil) }

// validate is Validate, keeping the members' parsed age recipients in
// parsed unless it is nil.
func (r *Roster) validate(parsed map[string]age.Recipient) error {
	if r.Version != RosterVersion {
		return fmt.Errorf("roster.v: unsupported version %d (this casenode reads version %d)", r.Version, RosterVersion)
	}
	if err := ValidateID("network", r.Network); err != nil {
		return fmt.Errorf("roster.network: %w", err)
	}
	if r.Serial == 0 {
		return errors.New("roster.serial: must be at least 1")
	}
	if r.Kind != KindHybrid && r.Kind != KindClassic {
		return fmt.Errorf("roster.kind: %q must be %q or %q", r.Kind, KindHybrid, KindClassic)
	}
	if r.Issued.IsZero() {
		return errors.New("roster.issued: must be set")
	}
	if !r.Expires.After(r.Issued.Time) {
		return fmt.Errorf("roster.expires: %s must be after issued %s", r.Expires, r.Issued)
	}
	if err := ValidateID("agency", r.Secretariat); err != nil {
		return fmt.Errorf("roster.secretariat: %w", err)
	}
	if len(r.Members) == 0 {
		return errors.New("roster.members: must list at least the secretariat")
	}
	kids := make(map[string]string, len(r.Members))
	for i := range r.Members {
		if err := r.validateMember(i, kids, parsed); err != nil {
			return err
		}
	}
	if m := r.Member(r.Secretariat); m == nil || m.Status != StatusActive {
		return fmt.Errorf("roster.secretariat: %q must be an active member", r.Secretariat)
	}
	return r.validateWitnesses()
}

func (r *Roster) validateMember(i int, kids map[string]string, parsed map[string]age.Recipient) error {
	m := &r.Members[i]
	path := fmt.Sprintf("roster.members[%d]", i)
	rcpt, err := m.Card.validate()
	if err != nil {
		return fmt.Errorf("%s.card.%s", path, strings.TrimPrefix(err.Error(), "member card "))
	}
	if parsed != nil {
		parsed[m.Card.AgeRecipient] = rcpt
	}
	if m.Card.Network != r.Network {
		return fmt.Errorf("%s.card.network: %q is not the roster's network %q", path, m.Card.Network, r.Network)
	}
	if k := m.Card.Kind(); k != r.Kind {
		return fmt.Errorf("%s.card.age_recipient: kind %q, but the network uses %q", path, k, r.Kind)
	}
	if i > 0 && r.Members[i-1].Card.Agency >= m.Card.Agency {
		if r.Members[i-1].Card.Agency == m.Card.Agency {
			return fmt.Errorf("%s.card.agency: %q is listed twice", path, m.Card.Agency)
		}
		return fmt.Errorf("%s.card.agency: %q is out of order (members are sorted by agency id)", path, m.Card.Agency)
	}
	if other, ok := kids[m.Card.KeyID()]; ok {
		return fmt.Errorf("%s.card.signing_key: same key as member %q", path, other)
	}
	kids[m.Card.KeyID()] = m.Card.Agency
	switch m.Status {
	case StatusActive, StatusRevoked, StatusSuspended:
	default:
		return fmt.Errorf("%s.status: %q must be %q, %q or %q", path, m.Status, StatusActive, StatusSuspended, StatusRevoked)
	}
	if m.Since.IsZero() {
		return fmt.Errorf("%s.since: must be set", path)
	}
	if m.Since.After(r.Issued.Time) {
		return fmt.Errorf("%s.since: %s is after the roster's issued %s", path, m.Since, r.Issued)
	}
	if len(m.Previous) > MaxPreviousKeys {
		return fmt.Errorf("%s.previous: %d keys, over the limit of %d", path, len(m.Previous), MaxPreviousKeys)
	}
	for j := range m.Previous {
		p := &m.Previous[j]
		ppath := fmt.Sprintf("%s.previous[%d]", path, j)
		if err := checkPublicJWK(&p.SigningKey); err != nil {
			return fmt.Errorf("%s.signing_key%w", ppath, err)
		}
		if other, ok := kids[p.KeyID()]; ok {
			return fmt.Errorf("%s.signing_key: same key as member %q", ppath, other)
		}
		kids[p.KeyID()] = m.Card.Agency
		if p.ValidUntil.IsZero() {
			return fmt.Errorf("%s.valid_until: must be set", ppath)
		}
	}
	return nil
}

// checkPublicJWK checks a signing key as a member card holds it. Its error
// starts with the sub-path (".kid: …") or ": …".
func checkPublicJWK(k *jose.JSONWebKey) error {
	pub, ok := k.Key.(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return errors.New(": must be a public Ed25519 JWK (kty OKP, crv Ed25519)")
	}
	if want := KeyID(pub); k.KeyID != want {
		return fmt.Errorf(".kid: %q is not the key's RFC 7638 thumbprint %q", k.KeyID, want)
	}
	if k.Algorithm != string(jose.EdDSA) {
		return errors.New(".alg: must be EdDSA")
	}
	if k.Use != "sig" {
		return errors.New(".use: must be sig")
	}
	return nil
}

// Member returns agency's entry, or nil when it is not listed.
func (r *Roster) Member(agency string) *RosterMember {
	i := sort.Search(len(r.Members), func(i int) bool { return r.Members[i].Card.Agency >= agency })
	if i < len(r.Members) && r.Members[i].Card.Agency == agency {
		return &r.Members[i]
	}
	return nil
}

// Active returns the active members in agency order.
func (r *Roster) Active() []RosterMember {
	var out []RosterMember
	for _, m := range r.Members {
		if m.Status == StatusActive {
			out = append(out, m)
		}
	}
	return out
}

// ActiveCount is len(r.Active()) without copying the members: a node's
// status, read every few milliseconds by a watcher, counts them.
func (r *Roster) ActiveCount() int {
	n := 0
	for i := range r.Members {
		if r.Members[i].Status == StatusActive {
			n++
		}
	}
	return n
}

// KeyError is a roster's refusal of a sender or of one of its keys. Reason
// is what a receiver reports (unknown-sender, unknown-key or revoked); the
// message is the local detail.
type KeyError struct {
	Reason Reason
	Msg    string
}

// Error implements error.
func (e *KeyError) Error() string { return e.Msg }

// InGoodStanding returns agency's entry when the roster trusts it at time
// at: an active member, or a member revoked or suspended after at. Senders
// seal only to members in good standing now.
func (r *Roster) InGoodStanding(agency string, at time.Time) (*RosterMember, error) {
	m := r.Member(agency)
	if m == nil {
		return nil, &KeyError{Reason: ReasonUnknownSender,
			Msg: fmt.Sprintf("agency %q is not in roster serial %d of network %s", agency, r.Serial, r.Network)}
	}
	if m.Status != StatusActive && !at.Before(m.Since.Time) {
		return nil, &KeyError{Reason: ReasonRevoked,
			Msg: fmt.Sprintf("agency %q is %s since %s in roster serial %d", agency, m.Status, m.Since, r.Serial)}
	}
	return m, nil
}

// SigningKeyAt returns the key with id kid that the roster trusts for
// agency's messages judged at time at. It is the card's key while the
// member is in good standing at that time, or a previous key if at is
// before its valid_until. Otherwise the *KeyError says why: unknown-sender,
// revoked (the member, or a revoked key past its valid_until) or
// unknown-key (a key never listed, or replaced before at).
//
// A receiver judges a message at the later of its creation time and the
// time the hub stored it, so that neither a sender's clock nor the hub's
// alone can move a message back into a key's validity.
func (r *Roster) SigningKeyAt(agency, kid string, at time.Time) (ed25519.PublicKey, error) {
	m, err := r.InGoodStanding(agency, at)
	if err != nil {
		return nil, err
	}
	if m.Card.KeyID() == kid {
		return m.Card.PublicKey(), nil
	}
	for i := range m.Previous {
		p := &m.Previous[i]
		if p.KeyID() != kid {
			continue
		}
		if at.Before(p.ValidUntil.Time) {
			return p.PublicKey(), nil
		}
		if p.Revoked {
			return nil, &KeyError{Reason: ReasonRevoked,
				Msg: fmt.Sprintf("key %s of agency %q is revoked since %s in roster serial %d", kid, agency, p.ValidUntil, r.Serial)}
		}
		return nil, &KeyError{Reason: ReasonUnknownKey,
			Msg: fmt.Sprintf("key %s of agency %q was replaced and trusted until %s only (roster serial %d has key %s)", kid, agency, p.ValidUntil, r.Serial, m.Card.KeyID())}
	}
	return nil, &KeyError{Reason: ReasonUnknownKey,
		Msg: fmt.Sprintf("agency %q signed with key %s, but its card in roster serial %d has key %s", agency, kid, r.Serial, m.Card.KeyID())}
}

// CheckSigner checks that kid, the key that signed the roster, is the key of
// the roster's secretariat.
func (r *Roster) CheckSigner(kid string) error {
	m := r.Member(r.Secretariat)
	if m == nil || m.Card.KeyID() != kid {
		return fmt.Errorf("roster serial %d is signed by key %s, not by its secretariat %q", r.Serial, kid, r.Secretariat)
	}
	return nil
}

// CheckSuccessor checks that r may replace prev, the roster in force: same
// network and secretariat key, strictly higher serial. A nil prev accepts
// any roster.
func (r *Roster) CheckSuccessor(prev *Roster) error {
	if prev == nil {
		return nil
	}
	if r.Network != prev.Network {
		return fmt.Errorf("roster is for network %q, not %q", r.Network, prev.Network)
	}
	if r.Serial <= prev.Serial {
		return &StaleRosterError{Serial: r.Serial, Current: prev.Serial}
	}
	old, cur := prev.Member(prev.Secretariat), r.Member(r.Secretariat)
	if old == nil || cur == nil || old.Card.KeyID() != cur.Card.KeyID() {
		return fmt.Errorf("roster serial %d changes the secretariat's key: pin the new key explicitly", r.Serial)
	}
	return nil
}

// StaleRosterError reports a roster whose serial is not above the one in
// force: a replay or a rollback.
type StaleRosterError struct {
	Serial, Current uint64
}

// Error implements error.
func (e *StaleRosterError) Error() string {
	return fmt.Sprintf("roster serial %d is not above the serial %d in force", e.Serial, e.Current)
}
