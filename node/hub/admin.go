package hub

import (
	"context"
	"time"

	"github.com/casenode/casenode/protocol"
)

// The secretariat's changes made from its console. Each opens the hub
// directory as the CLI commands do (OpenSecretariat, the same checks),
// signs with the secretariat's key unlocked by the passphrase given for
// this change alone (kept nowhere), applies the new roster at once
// (Reload), and records the change, or its failure, in the hub's own
// audit log under actor ("console:NAME").

// secretariat opens the hub directory with passphrase as the key's.
func (h *Hub) secretariat(passphrase []byte) (*Secretariat, error) {
	return OpenSecretariat(h.dir, func() ([]byte, error) { return passphrase, nil })
}

// change runs fn with the secretariat open, applies the roster it signed
// and records a.
func (h *Hub) change(ctx context.Context, actor string, passphrase []byte, a Action, fn func(s *Secretariat) (*SignedRoster, error)) (*SignedRoster, error) {
	s, err := h.secretariat(passphrase)
	var sr *SignedRoster
	if err == nil {
		sr, err = fn(s)
		s.Close()
	}
	if err != nil {
		a.Action += ".failed"
		a.Error = err.Error()
		if rerr := h.record(ctx, actor, a); rerr != nil {
			h.log.Error("cannot record a failed change", "actor", actor, "action", a.Action, "err", rerr)
		}
		return sr, err
	}
	a.Serial = sr.Roster.Serial
	if rerr := h.record(ctx, actor, a); rerr != nil {
		return sr, rerr
	}
	h.log.Info("roster changed from the console", "actor", actor, "action", a.Action, "agency", a.Agency, "serial", a.Serial)
	return sr, h.Reload(ctx)
}

// AdmitMember admits the agency of card, as 'casenode member add'.
func (h *Hub) AdmitMember(ctx context.Context, actor string, card *protocol.MemberCard, passphrase []byte, now time.Time) (*Admission, error) {
	var ad *Admission
	_, err := h.change(ctx, actor, passphrase, Action{Action: "admit", Agency: card.Agency, KeyID: card.KeyID()}, func(s *Secretariat) (*SignedRoster, error) {
		var err error
		ad, err = s.Admit(card, AdmitOptions{}, now)
		if ad != nil {
			return ad.Roster, err
		}
		return nil, err
	})
	return ad, err
}

// RotateMember installs the new card of an agency, as 'casenode member
// rotate'.
func (h *Hub) RotateMember(ctx context.Context, actor string, card *protocol.MemberCard, o RotateOptions, passphrase []byte, now time.Time) (*RotateResult, error) {
	var res *RotateResult
	_, err := h.change(ctx, actor, passphrase, Action{Action: "rotate", Agency: card.Agency, KeyID: card.KeyID()}, func(s *Secretariat) (*SignedRoster, error) {
		var err error
		if res, err = s.Rotate(card, o, now); err != nil {
			return nil, err
		}
		return res.Roster, nil
	})
	return res, err
}

// RevokeMember revokes an agency, as 'casenode member revoke'.
func (h *Hub) RevokeMember(ctx context.Context, actor, agency string, passphrase []byte, now time.Time) (*SignedRoster, error) {
	return h.change(ctx, actor, passphrase, Action{Action: "revoke", Agency: agency}, func(s *Secretariat) (*SignedRoster, error) {
		return s.Revoke(agency, now)
	})
}

// RenewRoster signs the roster again with a new expiry, as 'casenode hub
// renew'.
func (h *Hub) RenewRoster(ctx context.Context, actor string, passphrase []byte, now time.Time) (*SignedRoster, error) {
	return h.change(ctx, actor, passphrase, Action{Action: "renew"}, func(s *Secretariat) (*SignedRoster, error) {
		return s.Renew(now)
	})
}
