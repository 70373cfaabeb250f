package agency

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"filippo.io/age"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// rosterInForce is the roster the node trusts, with its signed form.
type rosterInForce struct {
	roster *protocol.Roster
	jws    []byte
}

// keysAt returns the keys the roster trusts for a message judged at t.
func (rf *rosterInForce) keysAt(t time.Time) *seal.RosterKeys {
	return &seal.RosterKeys{Roster: rf.roster, At: t}
}

// verifyRoster checks a signed roster against the pinned secretariat key,
// as the node connection contract says: signature by the pinned key only,
// canonical and valid roster, this network, signed by its secretariat.
func (n *Node) verifyRoster(signed []byte) (*protocol.Roster, error) {
	r, _, err := n.verifyRosterRecipients(signed)
	return r, err
}

// verifyRosterRecipients is verifyRoster, returning as well the members'
// age recipients it parsed (protocol.ParseRosterRecipients).
func (n *Node) verifyRosterRecipients(signed []byte) (*protocol.Roster, map[string]age.Recipient, error) {
	pinned := n.cfg.SecretariatPublicKey()
	want := protocol.KeyID(pinned)
	payload, kid, err := jws.Verify(signed, protocol.RosterType, protocol.MaxSignedRosterSize, func(kid string) (ed25519.PublicKey, error) {
		if kid != want {
			return nil, &SignerError{KeyID: kid, Pinned: want}
		}
		return pinned, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("verify roster: %w", err)
	}
	r, parsed, err := protocol.ParseRosterRecipients(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("verify roster: %w", err)
	}
	if r.Network != n.cfg.Network {
		return nil, nil, fmt.Errorf("verify roster: roster is for network %q, not %q", r.Network, n.cfg.Network)
	}
	if err := r.CheckSigner(kid); err != nil {
		return nil, nil, fmt.Errorf("verify roster: %w", err)
	}
	return r, parsed, nil
}

// loadRoster takes the roster stored at the last run, verified again.
func (n *Node) loadRoster() error {
	var signed []byte
	if err := n.store.View(func(tx *store.Tx) error { signed = tx.Roster(); return nil }); err != nil {
		return err
	}
	if signed == nil {
		return nil
	}
	r, parsed, err := n.verifyRosterRecipients(signed)
	if err != nil {
		return fmt.Errorf("the roster stored in %s: %w", n.store.Path(), err)
	}
	n.sealers.learn(parsed)
	n.roster.Store(&rosterInForce{roster: r, jws: signed})
	n.checkSelf(r)
	return nil
}

// offerRoster considers a signed roster read from the hub, and takes it if
// it verifies and moves forward: the same serial with the same bytes is
// no change; anything else that is not a successor is refused loudly.
func (n *Node) offerRoster(ctx context.Context, signed []byte) error {
	n.rosterMu.Lock()
	defer n.rosterMu.Unlock()
	cur := n.roster.Load()
	if cur != nil && bytes.Equal(cur.jws, signed) {
		// The hub serves the roster in force (again, after it repaired a
		// bad roster bucket): what it served before is no longer a
		// concern.
		n.alarms.clear()
		return nil
	}
	r, parsed, err := n.verifyRosterRecipients(signed)
	if err != nil {
		n.alarms.raise(err.Error())
		return err
	}
	var prev *protocol.Roster
	if cur != nil {
		prev = cur.roster
		if r.Serial == prev.Serial {
			err := fmt.Errorf("the hub serves another roster with serial %d than the one in force: someone signed two rosters with one serial", r.Serial)
			n.alarms.raise(err.Error())
			return err
		}
	}
	if err := r.CheckSuccessor(prev); err != nil {
		err = fmt.Errorf("roster refused: %w", err)
		n.alarms.raise(err.Error())
		return err
	}
	if now := n.o.Now(); !now.Before(r.Expires.Time) {
		return fmt.Errorf("roster serial %d expired at %s: keeping the roster in force; ask the secretariat to run 'casenode hub renew'", r.Serial, r.Expires)
	}
	entries := []auditlog.Entry{{Type: auditlog.TypeRoster, Actor: r.Secretariat, Payload: signed}}
	var changed []CardChange
	for _, m := range r.Members {
		if m.Card.Agency == n.cfg.Agency {
			continue
		}
		if prev != nil {
			old := prev.Member(m.Card.Agency)
			if old != nil && sameCard(&old.Card, &m.Card) {
				continue
			}
			if old != nil && old.Card.KeyID() != m.Card.KeyID() {
				changed = append(changed, CardChange{Agency: m.Card.Agency, Serial: r.Serial, OldKid: old.Card.KeyID(), NewKid: m.Card.KeyID()})
			}
		}
		card, err := m.Card.Marshal()
		if err != nil {
			return fmt.Errorf("roster serial %d: card of %s: %w", r.Serial, m.Card.Agency, err)
		}
		entries = append(entries, auditlog.Entry{Type: auditlog.TypeKey, Actor: m.Card.Agency, Payload: card})
	}
	if _, err := n.audit.AppendBatch(ctx, entries); err != nil {
		return fmt.Errorf("record roster serial %d: %w", r.Serial, err)
	}
	if err := n.store.Commit(func(tx *store.Tx) error { return tx.SetRoster(signed) }); err != nil {
		return fmt.Errorf("store roster serial %d: %w", r.Serial, err)
	}
	// The alarms come before the roster takes force, so that whoever sees
	// the new roster in Status sees the card changes it brought as well.
	n.alarms.clear()
	for _, c := range changed {
		n.log.Error("the roster changes the member card of an agency this node knew: check the new key id with the agency by a second channel",
			"agency", c.Agency, "serial", c.Serial, "old_kid", c.OldKid, "new_kid", c.NewKid)
		n.alarms.cardChanged(c)
	}
	n.sealers.learn(parsed)
	n.roster.Store(&rosterInForce{roster: r, jws: signed})
	select {
	case n.rosterCh <- struct{}{}:
	default:
	}
	n.log.Info("roster taken", "serial", r.Serial, "members", len(r.Members), "active", len(r.Active()), "expires", r.Expires.String())
	n.checkSelf(r)
	return nil
}

func sameCard(a, b *protocol.MemberCard) bool {
	x, err1 := a.Marshal()
	y, err2 := b.Marshal()
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// checkSelf warns when the roster does not list this agency as an active
// member with keys it holds.
func (n *Node) checkSelf(r *protocol.Roster) {
	m := r.Member(n.cfg.Agency)
	switch {
	case m == nil:
		n.log.Error("this agency is not in the roster: it cannot send; ask the secretariat to admit it", "serial", r.Serial)
	case m.Status != protocol.StatusActive:
		n.log.Error("this agency is "+string(m.Status)+" in the roster: sending has stopped; ask the secretariat", "serial", r.Serial, "since", m.Since.String())
	case !n.holdsKey(r.Serial, m.Card.KeyID()):
		n.log.Error("the roster lists a signing key for this agency that its directory does not hold: it cannot send", "serial", r.Serial, "roster_kid", m.Card.KeyID(), "own_kid", n.ident().KeyID())
	case m.Card.KeyID() != n.ident().KeyID():
		n.log.Warn("the roster still lists this agency's previous key: it signs with it until the secretariat installs the new member card", "serial", r.Serial, "roster_kid", m.Card.KeyID(), "new_kid", n.ident().KeyID())
	}
}

// rosterNow returns the roster in force, or nil before the first.
func (n *Node) rosterNow() *rosterInForce { return n.roster.Load() }

// CardChange is a new signing key the roster gave an agency the node
// already knew: routine after a key rotation, an attack if the agency
// did not rotate (whoever holds the secretariat's key can replace a card).
type CardChange struct {
	Agency string `json:"agency"`
	Serial uint64 `json:"serial"`
	OldKid string `json:"old_kid"`
	NewKid string `json:"new_kid"`
}
