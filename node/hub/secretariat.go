package hub

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/protocol"
)

// Secretariat changes the roster of a hub directory. It holds the
// directory's lock from OpenSecretariat to Close, so that changes never
// interleave; it loads the secretariat's secret key only to sign.
type Secretariat struct {
	dir        string
	cfg        *config.Hub
	passphrase identity.PassphraseFunc
	unlock     func()
	roster     *SignedRoster
	users      *userKeys
}

// OpenSecretariat locks the hub directory dir and loads its roster.
// passphrase is asked for when the secretariat's keys are encrypted.
func OpenSecretariat(dir string, passphrase identity.PassphraseFunc) (*Secretariat, error) {
	cfg, err := config.LoadHub(dir)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Secretariat{dir: dir, cfg: cfg, passphrase: passphrase, unlock: unlock}
	if s.roster, err = loadRoster(dir, cfg.Network); err != nil {
		unlock()
		return nil, err
	}
	if s.users, err = loadUsers(dir); err != nil {
		unlock()
		return nil, err
	}
	return s, nil
}

// Close releases the directory's lock.
func (s *Secretariat) Close() { s.unlock() }

// Roster returns the roster in force.
func (s *Secretariat) Roster() *SignedRoster { return s.roster }

// Add admits the agency of card as an active member: it writes the agency's
// new NATS credentials to credsOut (empty means H/creds/AGENCY.creds), then
// signs and stores the next roster. It returns that roster.
func (s *Secretariat) Add(card *protocol.MemberCard, credsOut string, now time.Time) (*SignedRoster, error) {
	r := s.roster.Roster
	if err := card.Validate(); err != nil {
		return nil, err
	}
	if card.Network != r.Network {
		return nil, &hint.Error{Msg: fmt.Sprintf("member card of %q is for network %q, but this hub serves %q", card.Agency, card.Network, r.Network),
			Fix: "ask the agency for a card made with 'casenode init --network " + r.Network + "'"}
	}
	if k := card.Kind(); k != r.Kind {
		flag := "without --classic"
		if r.Kind == protocol.KindClassic {
			flag = "with --classic"
		}
		return nil, &hint.Error{Msg: fmt.Sprintf("member card of %q has a %s age recipient, but network %s uses %s", card.Agency, k, r.Network, r.Kind),
			Fix: "ask the agency to create its identity again " + flag}
	}
	if m := r.Member(card.Agency); m != nil {
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is already in the roster (%s since %s)", card.Agency, m.Status, m.Since),
			Fix: "an agency id is admitted once; run 'casenode member list' to see the roster"}
	}
	if owner := keyOwner(r, card.KeyID()); owner != "" {
		return nil, &hint.Error{Msg: fmt.Sprintf("member card of %q has the same signing key as member %q", card.Agency, owner),
			Fix: "every agency needs keys of its own: ask it to run 'casenode init' in a new directory"}
	}
	next, t, err := s.next(now)
	if err != nil {
		return nil, err
	}
	next.Members = append(next.Members, protocol.RosterMember{Card: *card, Status: protocol.StatusActive, Since: t})
	slices.SortFunc(next.Members, func(a, b protocol.RosterMember) int { return strings.Compare(a.Card.Agency, b.Card.Agency) })
	sr, err := s.sign(next)
	if err != nil {
		return nil, err
	}

	if credsOut == "" {
		credsOut = filepath.Join(s.dir, CredsDir, card.Agency+".creds")
		if err := os.MkdirAll(filepath.Dir(credsOut), 0o700); err != nil {
			return nil, err
		}
	}
	pub, creds, err := newUser(agencyComment(r.Network, card.Agency, now))
	if err != nil {
		return nil, err
	}
	if err := writeExclusive(credsOut, creds, 0o600); err != nil {
		return nil, err
	}
	// users.json first: a user is enabled only once the roster lists its
	// agency as active, so a crash between the two writes enables nobody.
	users := s.users.clone()
	users.Agencies[card.Agency] = pub
	if err := users.save(s.dir); err != nil {
		os.Remove(credsOut)
		return nil, err
	}
	s.users = users
	if err := storeRoster(s.dir, sr); err != nil {
		return nil, err
	}
	s.roster = sr
	return sr, nil
}

// Revoke marks agency revoked from now on and signs and stores the next
// roster. At its next reload the hub disconnects the agency, and lets its
// credentials read the roster and nothing else (suspending an agency, whose
// key may be in the wrong hands, removes its NATS user instead).
func (s *Secretariat) Revoke(agency string, now time.Time) (*SignedRoster, error) {
	r := s.roster.Roster
	m := r.Member(agency)
	switch {
	case m == nil:
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is not in the roster of network %s", agency, r.Network),
			Fix: "run 'casenode member list' to see the roster"}
	case m.Status == protocol.StatusRevoked:
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is already revoked (since %s)", agency, m.Since),
			Fix: "nothing to do"}
	case agency == r.Secretariat:
		return nil, &hint.Error{Msg: fmt.Sprintf("agency %q is the secretariat: it signs the roster and cannot be revoked", agency),
			Fix: "to move the secretariat, set up a new hub and have every agency pin its key"}
	}
	next, t, err := s.next(now)
	if err != nil {
		return nil, err
	}
	nm := next.Member(agency)
	nm.Status, nm.Since = protocol.StatusRevoked, t
	// The agency keeps its NATS user: the roster disables it for anything
	// but reading the roster, so that its node learns that it is revoked.
	return s.commit(next)
}

// Renew signs and stores the next roster with the same members and a new
// expiry.
func (s *Secretariat) Renew(now time.Time) (*SignedRoster, error) {
	next, _, err := s.next(now)
	if err != nil {
		return nil, err
	}
	sr, err := s.commit(next)
	if err != nil {
		return nil, err
	}
	return sr, nil
}

// next returns a copy of the roster in force with the next serial, issued
// now, and now in the wire's precision.
func (s *Secretariat) next(now time.Time) (*protocol.Roster, protocol.Time, error) {
	cur := s.roster.Roster
	t := protocol.NewTime(now)
	if t.Before(cur.Issued.Time) {
		return nil, t, fmt.Errorf("this machine's clock (%s) is behind the issue time of roster serial %d (%s): fix the clock", t, cur.Serial, cur.Issued)
	}
	next := *cur
	next.Members = slices.Clone(cur.Members)
	for i := range next.Members {
		next.Members[i].Previous = prunePrevious(next.Members[i].Previous, now, time.Duration(s.cfg.Retention))
	}
	next.Serial = cur.Serial + 1
	next.Issued = t
	next.Expires = protocol.NewTime(now.Add(time.Duration(s.cfg.RosterValidity)))
	return &next, t, nil
}

// prunePrevious returns a copy of a member's previous keys without those
// that stopped being valid more than retention ago: the hub no longer holds
// any message they could have signed. A retention of 0 keeps them all.
func prunePrevious(keys []protocol.PreviousKey, now time.Time, retention time.Duration) []protocol.PreviousKey {
	var out []protocol.PreviousKey
	for _, p := range keys {
		if retention > 0 && p.ValidUntil.Before(now.Add(-retention)) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// sign loads the secretariat's key and signs r, which it makes name the
// hub's witness key (made here for a hub initialised before witnesses
// existed).
func (s *Secretariat) sign(r *protocol.Roster) (*SignedRoster, error) {
	wk, _, err := loadWitnessKey(s.dir, r.Network, true)
	if err != nil {
		return nil, err
	}
	r.Witnesses = withHubWitness(r, wk.VerifierKey())
	id, err := identity.Load(filepath.Join(s.dir, SecretariatDir), s.passphrase)
	if err != nil {
		return nil, err
	}
	if id.Agency() != r.Secretariat || id.KeyID() != r.Member(r.Secretariat).Card.KeyID() {
		return nil, fmt.Errorf("the identity in %s is not the roster's secretariat %q", filepath.Join(s.dir, SecretariatDir), r.Secretariat)
	}
	return SignRoster(id.Signing, r)
}

// LoadRoster reads and verifies the roster in force of the hub directory
// dir, without taking its lock.
func LoadRoster(dir string) (*SignedRoster, error) {
	cfg, err := config.LoadHub(dir)
	if err != nil {
		return nil, err
	}
	return loadRoster(dir, cfg.Network)
}

// commit signs next, stores it as the roster in force and adopts it.
func (s *Secretariat) commit(next *protocol.Roster) (*SignedRoster, error) {
	sr, err := s.sign(next)
	if err != nil {
		return nil, err
	}
	if err := storeRoster(s.dir, sr); err != nil {
		return nil, err
	}
	s.roster = sr
	return sr, nil
}
