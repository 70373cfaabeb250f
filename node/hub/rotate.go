package hub

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/protocol"
)

// MaxOverlap bounds how long a member's replaced key stays trusted.
const MaxOverlap = 30 * 24 * time.Hour

// RotateOptions say how a member's new card takes over.
type RotateOptions struct {
	// Overlap is how long the member's previous signing key stays trusted
	// (0 to MaxOverlap), while every node learns the new card. It does not
	// apply to a suspended member, whose previous key stays revoked.
	Overlap time.Duration
	// NewCreds also replaces the agency's NATS credentials; it is implied
	// for a suspended member, whose credentials are presumed stolen with
	// its key. CredsOut is where they go (empty: H/creds/AGENCY.creds).
	NewCreds bool
	CredsOut string
}

// RotateResult tells what Rotate changed.
type RotateResult struct {
	Roster *SignedRoster
	// Previous is the member's replaced key as the new roster lists it.
	Previous protocol.PreviousKey
	// CredsFile is the agency's new credentials file, if any.
	CredsFile string
}

// Rotate installs card as its agency's new member card, from now on: the
// agency's previous signing key stays trusted until now+o.Overlap, so that
// messages signed with either verify meanwhile. A suspended member becomes
// active again with the new card and new NATS credentials; its previous
// keys, the card's and any still in an overlap, stay revoked from its
// suspension. It signs and stores the next roster.
func (s *Secretariat) Rotate(card *protocol.MemberCard, o RotateOptions, now time.Time) (*RotateResult, error) {
	r := s.roster.Roster
	if err := card.Validate(); err != nil {
		return nil, err
	}
	if o.Overlap < 0 || o.Overlap > MaxOverlap {
		return nil, &hint.Error{Msg: fmt.Sprintf("overlap %s is out of range", o.Overlap),
			Fix: fmt.Sprintf("give --overlap between 0s and %s, e.g. 72h: long enough for every node to read the new roster", MaxOverlap)}
	}
	m := r.Member(card.Agency)
	switch {
	case card.Network != r.Network:
		return nil, &hint.Error{Msg: fmt.Sprintf("member card of %q is for network %q, but this hub serves %q", card.Agency, card.Network, r.Network),
			Fix: "the new card comes from 'casenode keys rotate' in the agency's directory"}
	case m == nil:
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is not in the roster of network %s", card.Agency, r.Network),
			Fix: "admit a new agency with 'casenode member add'"}
	case m.Status == protocol.StatusRevoked:
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is revoked (since %s): a revoked member gets no new keys", card.Agency, m.Since),
			Fix: "a revoked agency id is never reused; admit the agency under a new id"}
	case card.Agency == r.Secretariat:
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is the secretariat: its key signs the roster, and every node pins it", card.Agency),
			Fix: "a new secretariat key means a new hub that every agency pins; see docs/OPERATOR.md"}
	case card.Kind() != r.Kind:
		return nil, &hint.Error{Msg: fmt.Sprintf("member card of %q has a %s age recipient, but network %s uses %s", card.Agency, card.Kind(), r.Network, r.Kind),
			Fix: "run 'casenode keys rotate' again: it keeps the kind of the agency's keys"}
	case card.KeyID() == m.Card.KeyID():
		return nil, &hint.Error{Msg: fmt.Sprintf("member card of %q has the key %s the roster already lists", card.Agency, card.KeyID()),
			Fix: "the agency makes new keys with 'casenode keys rotate' and sends the new member.json"}
	}
	if owner := keyOwner(r, card.KeyID()); owner != "" {
		return nil, &hint.Error{Msg: fmt.Sprintf("member card of %q has a signing key the roster already lists for %q", card.Agency, owner),
			Fix: "every key is used once: the agency makes new keys with 'casenode keys rotate'"}
	}
	next, t, err := s.next(now)
	if err != nil {
		return nil, err
	}
	nm := next.Member(card.Agency)
	prev := protocol.PreviousKey{SigningKey: nm.Card.SigningKey, ValidUntil: protocol.NewTime(now.Add(o.Overlap))}
	suspended := nm.Status == protocol.StatusSuspended
	if suspended {
		// The keys of a suspended member were on the machine it lost: its
		// earlier keys still in their overlap are revoked with the current
		// one, from the suspension on.
		prev = protocol.PreviousKey{SigningKey: nm.Card.SigningKey, ValidUntil: nm.Since, Revoked: true}
		nm.Previous = append([]protocol.PreviousKey(nil), nm.Previous...)
		for i := range nm.Previous {
			if p := &nm.Previous[i]; p.ValidUntil.After(nm.Since.Time) {
				p.ValidUntil, p.Revoked = nm.Since, true
			}
		}
		o.NewCreds = true
	}
	if len(nm.Previous) >= protocol.MaxPreviousKeys {
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q already has %d previous keys in the roster", card.Agency, len(nm.Previous)),
			Fix: "previous keys leave the roster once they are older than the hub's retention; wait, or shorten retention in hub.json"}
	}
	nm.Previous = append(nm.Previous, prev)
	nm.Card, nm.Status, nm.Since = *card, protocol.StatusActive, t
	sr, err := s.sign(next)
	if err != nil {
		return nil, err
	}
	res := &RotateResult{Roster: sr, Previous: prev}
	if o.NewCreds {
		users := s.users.clone()
		if res.CredsFile, users.Agencies[card.Agency], err = s.writeCreds(card.Agency, o.CredsOut, now); err != nil {
			return nil, err
		}
		// users.json goes first, as in Add: a user is enabled only once
		// the roster lists its agency as active.
		if err := users.save(s.dir); err != nil {
			os.Remove(res.CredsFile)
			return nil, err
		}
		s.users = users
	}
	if err := storeRoster(s.dir, sr); err != nil {
		return nil, err
	}
	s.roster = sr
	return res, nil
}

// RevokeKey revokes one signing key of agency from now on. A previous key
// is marked revoked: messages judged from now are refused with reason
// revoked. The current key (the card's) suspends the member: it can no
// longer connect (its NATS user is removed: its credentials were likely
// taken with the key), nobody seals to it and its messages judged from now
// are refused, until Rotate installs its new card.
func (s *Secretariat) RevokeKey(agency, kid string, now time.Time) (*SignedRoster, error) {
	r := s.roster.Roster
	m := r.Member(agency)
	switch {
	case m == nil:
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is not in the roster of network %s", agency, r.Network),
			Fix: "run 'casenode member list' to see the roster"}
	case m.Status == protocol.StatusRevoked:
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is revoked (since %s), with all its keys", agency, m.Since),
			Fix: "nothing to do"}
	}
	current := m.Card.KeyID() == kid
	idx := -1
	for i := range m.Previous {
		if m.Previous[i].KeyID() == kid {
			idx = i
		}
	}
	switch {
	case current && agency == r.Secretariat:
		return nil, &hint.Error{Msg: fmt.Sprintf("key %s is the secretariat's: it signs the roster and cannot be revoked", kid),
			Fix: "a compromised secretariat key means a new hub that every agency pins; see docs/OPERATOR.md"}
	case current && m.Status == protocol.StatusSuspended:
		return nil, &hint.Error{Msg: fmt.Sprintf("key %s of %q is already revoked: the agency is suspended since %s", kid, agency, m.Since),
			Fix: "install the agency's new card with 'casenode member rotate'"}
	case !current && idx < 0:
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q has no key %s in the roster", agency, kid),
			Fix: "'casenode member list' lists its keys"}
	case !current && m.Previous[idx].Revoked && !m.Previous[idx].ValidUntil.After(now):
		return nil, &hint.Error{Msg: fmt.Sprintf("key %s of %q is already revoked (since %s)", kid, agency, m.Previous[idx].ValidUntil),
			Fix: "nothing to do"}
	}
	next, t, err := s.next(now)
	if err != nil {
		return nil, err
	}
	nm := next.Member(agency)
	users := s.users
	if current {
		nm.Status, nm.Since = protocol.StatusSuspended, t
		users = s.users.clone()
		delete(users.Agencies, agency)
	} else {
		nm.Previous = append([]protocol.PreviousKey(nil), nm.Previous...)
		for i := range nm.Previous {
			if p := &nm.Previous[i]; p.KeyID() == kid {
				p.Revoked = true
				if p.ValidUntil.After(t.Time) {
					p.ValidUntil = t
				}
			}
		}
	}
	// The roster first, as in Revoke: a crash between the writes leaves the
	// user in users.json, but disabled by the roster.
	sr, err := s.commit(next)
	if err != nil {
		return nil, err
	}
	if current {
		if err := users.save(s.dir); err != nil {
			return nil, err
		}
		s.users = users
	}
	return sr, nil
}

// writeCreds writes new NATS credentials for agency to out (empty:
// H/creds/AGENCY.creds), never overwriting a file, and returns the path and
// the user's public key.
func (s *Secretariat) writeCreds(agency, out string, now time.Time) (path, pub string, err error) {
	if out == "" {
		out = filepath.Join(s.dir, CredsDir, agency+credsExt)
		if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
			return "", "", err
		}
	}
	pub, creds, err := newUser(agencyComment(s.roster.Roster.Network, agency, now))
	if err != nil {
		return "", "", err
	}
	if err := writeExclusive(out, creds, 0o600); err != nil {
		return "", "", err
	}
	return out, pub, nil
}

// keyOwner returns the agency whose card or previous keys hold kid, or "".
func keyOwner(r *protocol.Roster, kid string) string {
	for _, m := range r.Members {
		if m.Card.KeyID() == kid {
			return m.Card.Agency
		}
		for _, p := range m.Previous {
			if p.KeyID() == kid {
				return m.Card.Agency
			}
		}
	}
	return ""
}

// KeyState names a previous key's state at time now, for people: "valid
// until T", "retired" or "revoked".
func KeyState(p *protocol.PreviousKey, now time.Time) string {
	switch {
	case now.Before(p.ValidUntil.Time):
		return "valid until " + p.ValidUntil.String()
	case p.Revoked:
		return "revoked since " + p.ValidUntil.String()
	}
	return "retired since " + p.ValidUntil.String()
}
