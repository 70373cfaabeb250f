package seal

import (
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
)

// rotation is a sender and a recipient that both rotated their keys at now:
// the roster lists their new cards and their old signing keys until
// overlapEnd.
type rotation struct {
	roster                *protocol.Roster
	oldSender, newSender  *identity.Identity
	oldRecip, newRecip    *identity.Identity
	overlapEnd            time.Time
	senderCard, recipCard *protocol.MemberCard // the new cards, as in the roster
}

func newRotation(t *testing.T) *rotation {
	t.Helper()
	gen := func(agency string) *identity.Identity {
		id, err := identity.Generate("wacap", agency, "Agency "+agency, "SN", protocol.KindClassic, now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	r := &rotation{oldSender: gen("gh-ag"), newSender: gen("gh-ag"), oldRecip: gen("sn-pj"), newRecip: gen("sn-pj"), overlapEnd: now.Add(72 * time.Hour)}
	sec := gen("wacap-sec")
	r.roster = &protocol.Roster{
		Version: protocol.RosterVersion, Network: "wacap", Serial: 2, Kind: protocol.KindClassic,
		Issued: protocol.NewTime(now), Expires: protocol.NewTime(now.AddDate(1, 0, 0)), Secretariat: "wacap-sec",
	}
	for _, m := range []struct{ cur, old *identity.Identity }{{r.newSender, r.oldSender}, {r.newRecip, r.oldRecip}, {sec, nil}} {
		rm := protocol.RosterMember{Card: *m.cur.Card, Status: protocol.StatusActive, Since: protocol.NewTime(now)}
		if m.old != nil {
			rm.Previous = []protocol.PreviousKey{{SigningKey: m.old.Card.SigningKey, ValidUntil: protocol.NewTime(r.overlapEnd)}}
		}
		r.roster.Members = append(r.roster.Members, rm)
	}
	if err := r.roster.Validate(); err != nil {
		t.Fatal(err)
	}
	r.senderCard, r.recipCard = &r.roster.Members[0].Card, &r.roster.Members[1].Card
	r.newRecip.Previous = []*identity.Identity{r.oldRecip}
	return r
}

func TestRosterKeysOverlap(t *testing.T) {
	r := newRotation(t)
	seal := func(from *identity.Identity, to *protocol.MemberCard) []byte {
		s, err := Seal(from, []*protocol.MemberCard{to}, protocol.TypeLead, leadBody(), Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s.Raw
	}
	inOverlap := &RosterKeys{Roster: r.roster, At: r.overlapEnd.Add(-time.Millisecond)}
	after := &RosterKeys{Roster: r.roster, At: r.overlapEnd}
	opts := VerifyOptions{Now: now}

	// Messages signed with either key verify during the overlap, sealed to
	// either of the recipient's age recipients.
	for name, raw := range map[string][]byte{
		"old key to old recipient": seal(r.oldSender, r.oldRecip.Card),
		"old key to new recipient": seal(r.oldSender, r.recipCard),
		"new key to old recipient": seal(r.newSender, r.oldRecip.Card),
		"new key to new recipient": seal(r.newSender, r.recipCard),
	} {
		if _, err := Open(raw, r.newRecip, inOverlap, opts); err != nil {
			t.Errorf("%s, in the overlap: %v", name, err)
		}
	}
	// After it, only the new signing key.
	if _, err := Open(seal(r.newSender, r.recipCard), r.newRecip, after, opts); err != nil {
		t.Errorf("new key after the overlap: %v", err)
	}
	if _, err := Open(seal(r.oldSender, r.recipCard), r.newRecip, after, opts); ReasonOf(err) != protocol.ReasonUnknownKey {
		t.Errorf("old key after the overlap: %v, want unknown-key", err)
	}
	// Without its previous identity, a recipient cannot read what was sealed to its old recipient.
	alone := *r.newRecip
	alone.Previous = nil
	if _, err := Open(seal(r.newSender, r.oldRecip.Card), &alone, inOverlap, opts); ReasonOf(err) != protocol.ReasonUndecryptable {
		t.Errorf("old recipient without the previous identity: %v, want undecryptable", err)
	}
}

func TestRosterKeysRevocation(t *testing.T) {
	r := newRotation(t)
	raw, err := Seal(r.newSender, []*protocol.MemberCard{r.recipCard}, protocol.TypeLead, leadBody(), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	revokedAt := now.Add(time.Hour)
	m := r.roster.Member("gh-ag")
	m.Status, m.Since = protocol.StatusRevoked, protocol.NewTime(revokedAt)
	if _, err := Open(raw.Raw, r.newRecip, &RosterKeys{Roster: r.roster, At: now}, VerifyOptions{Now: now}); err != nil {
		t.Fatalf("judged before the revocation: %v", err)
	}
	if _, err := Open(raw.Raw, r.newRecip, &RosterKeys{Roster: r.roster, At: revokedAt}, VerifyOptions{Now: now}); ReasonOf(err) != protocol.ReasonRevoked {
		t.Fatalf("judged after the revocation: %v, want revoked", err)
	}
	keys := &RosterKeys{Roster: r.roster, At: revokedAt}
	if _, err := keys.Card("gh-ag"); ReasonOf(err) != protocol.ReasonRevoked {
		t.Fatalf("card of a revoked member: %v", err)
	}
	if _, err := keys.Card("ne-mj"); ReasonOf(err) != protocol.ReasonUnknownSender {
		t.Fatalf("card of a stranger: %v", err)
	}
	if c, err := keys.Card("sn-pj"); err != nil || c.KeyID() != r.recipCard.KeyID() {
		t.Fatalf("card of an active member: %v", err)
	}
	// A zero At means now: long after the revocation.
	if _, err := (&RosterKeys{Roster: r.roster}).SigningKey("gh-ag", r.newSender.KeyID()); ReasonOf(err) != protocol.ReasonRevoked {
		t.Fatalf("zero At: %v", err)
	}
}
