package hub

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
)

// fetchRoster reads and verifies the roster an agency's node gets from the
// hub.
func (n *testNet) fetchRoster(t *testing.T, c *agencyConn) *protocol.Roster {
	t.Helper()
	ctx := ctxT(t)
	kv, err := c.js.KeyValue(ctx, protocol.RosterBucket(testNetwork))
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, protocol.RosterKey)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := VerifyRoster(e.Value(), n.hub.card.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return sr.Roster
}

// TestRotationOverlap has gh-ag rotate its keys (identity.Rotate in its own
// directory) and the secretariat install the new card with a 72h overlap
// on a running hub; sn-pj-dakar reads the new roster from the hub and
// opens messages signed with either key during the overlap, and only the
// new one's after it.
func TestRotationOverlap(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	runHub(t, n)
	ghDir := filepath.Join(t.TempDir(), gh)
	if err := n.ids[gh].Save(ghDir, nil); err != nil {
		t.Fatal(err)
	}
	oldID, newID, err := identity.Rotate(ghDir, nil, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rotatedAt := time.Now()
	res, err := s.Rotate(newID.Card, RotateOptions{Overlap: 72 * time.Hour}, rotatedAt)
	if err != nil {
		t.Fatal(err)
	}
	if res.CredsFile != "" {
		t.Fatal("a plain rotation replaced the credentials")
	}
	poll.Until(t, 10*time.Second, "the hub to publish the new roster", func() bool { return n.hub.Roster().Roster.Serial == res.Roster.Roster.Serial })

	// gh-ag keeps its connection and credentials.
	n.connect(t, gh)
	r := n.fetchRoster(t, n.connect(t, sn))
	m := r.Member(gh)
	if m.Card.KeyID() != newID.KeyID() || len(m.Previous) != 1 || m.Previous[0].KeyID() != oldID.KeyID() || m.Previous[0].Revoked {
		t.Fatalf("roster member after rotation: %+v", m)
	}
	overlapEnd := m.Previous[0].ValidUntil.Time
	if d := overlapEnd.Sub(rotatedAt); d < 72*time.Hour-time.Second || d > 72*time.Hour {
		t.Fatalf("overlap ends %s after the rotation", d)
	}

	snID := n.ids[sn]
	both, err := identity.LoadAll(ghDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, signer := range []*identity.Identity{both.ForKey(oldID.KeyID()), both.ForKey(newID.KeyID())} {
		msg, err := seal.Seal(signer, []*protocol.MemberCard{snID.Card}, protocol.TypeLead, protocol.Example(protocol.TypeLead), seal.Options{})
		if err != nil {
			t.Fatal(err)
		}
		during := &seal.RosterKeys{Roster: r, At: time.Now()}
		if _, err := seal.Open(msg.Raw, snID, during, seal.VerifyOptions{}); err != nil {
			t.Errorf("key %s during the overlap: %v", signer.KeyID(), err)
		}
		after := &seal.RosterKeys{Roster: r, At: overlapEnd}
		_, err = seal.Open(msg.Raw, snID, after, seal.VerifyOptions{SkipTime: true})
		switch {
		case signer.KeyID() == newID.KeyID() && err != nil:
			t.Errorf("new key after the overlap: %v", err)
		case signer.KeyID() == oldID.KeyID() && seal.ReasonOf(err) != protocol.ReasonUnknownKey:
			t.Errorf("old key after the overlap: %v, want unknown-key", err)
		}
	}

	// Messages sealed to gh-ag's old recipient stay readable by gh-ag.
	toOld, err := seal.Seal(snID, []*protocol.MemberCard{oldID.Card}, protocol.TypeLead, protocol.Example(protocol.TypeLead), seal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.Open(toOld.Raw, both, &seal.RosterKeys{Roster: r}, seal.VerifyOptions{}); err != nil {
		t.Fatalf("gh-ag opens a message sealed to its old recipient: %v", err)
	}
}

func TestRotateRefuses(t *testing.T) {
	t.Parallel()
	dir, res := newTestDir(t, nil)
	s, err := OpenSecretariat(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ghCard := newCard(t, testNetwork, gh, protocol.KindClassic)
	for _, c := range []*protocol.MemberCard{ghCard, newCard(t, testNetwork, "ml-mj", protocol.KindClassic)} {
		if _, err := s.Add(c, "", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Revoke("ml-mj", time.Now()); err != nil {
		t.Fatal(err)
	}
	reuse := *newCard(t, testNetwork, gh, protocol.KindClassic)
	reuse.SigningKey = res.Card.SigningKey
	tests := []struct {
		name string
		card *protocol.MemberCard
		o    RotateOptions
		want string
	}{
		{"same key", ghCard, RotateOptions{}, "has the key " + ghCard.KeyID() + " the roster already lists"},
		{"another member's key", &reuse, RotateOptions{}, `a signing key the roster already lists for "wacap-secretariat"`},
		{"unknown agency", newCard(t, testNetwork, "ne-mj", protocol.KindClassic), RotateOptions{}, `agency "ne-mj" is not in the roster`},
		{"revoked", newCard(t, testNetwork, "ml-mj", protocol.KindClassic), RotateOptions{}, `agency "ml-mj" is revoked`},
		{"secretariat", newCard(t, testNetwork, "wacap-secretariat", protocol.KindClassic), RotateOptions{}, "is the secretariat"},
		{"network", newCard(t, "eccas", gh, protocol.KindClassic), RotateOptions{}, `is for network "eccas"`},
		{"kind", newCard(t, testNetwork, gh, protocol.KindHybrid), RotateOptions{}, "network wacap uses x25519"},
		{"overlap", newCard(t, testNetwork, gh, protocol.KindClassic), RotateOptions{Overlap: 31 * 24 * time.Hour}, "overlap 744h0m0s is out of range"},
	}
	for _, tt := range tests {
		_, err := s.Rotate(tt.card, tt.o, time.Now())
		var me *hint.Error
		if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.want) || me.Hint() == "" {
			t.Errorf("%s: Rotate = %v, want %q", tt.name, err, tt.want)
		}
	}
	if sr, err := LoadRoster(dir); err != nil || sr.Roster.Serial != 4 {
		t.Fatalf("refused rotations changed the roster: %v", err)
	}
}

func TestRevokeKey(t *testing.T) {
	t.Parallel()
	dir, _ := newTestDir(t, nil)
	s, err := OpenSecretariat(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first := newCard(t, testNetwork, gh, protocol.KindClassic)
	if _, err := s.Add(first, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	second := newCard(t, testNetwork, gh, protocol.KindClassic)
	if _, err := s.Rotate(second, RotateOptions{Overlap: 72 * time.Hour}, time.Now()); err != nil {
		t.Fatal(err)
	}

	// The previous key, stolen during the overlap: revoked from now.
	revokedAt := time.Now()
	sr, err := s.RevokeKey(gh, first.KeyID(), revokedAt)
	if err != nil {
		t.Fatal(err)
	}
	m := sr.Roster.Member(gh)
	if m.Status != protocol.StatusActive || !m.Previous[0].Revoked || m.Previous[0].ValidUntil.After(revokedAt) {
		t.Fatalf("after revoking the previous key: %+v", m)
	}
	if _, err := sr.Roster.SigningKeyAt(gh, first.KeyID(), revokedAt.Add(time.Second)); reasonOf(err) != protocol.ReasonRevoked {
		t.Fatalf("revoked previous key: %v", err)
	}
	if _, err := sr.Roster.SigningKeyAt(gh, second.KeyID(), revokedAt.Add(time.Second)); err != nil {
		t.Fatalf("current key after revoking the previous one: %v", err)
	}
	if _, ok := mustUsers(t, dir).Agencies[gh]; !ok {
		t.Fatal("revoking a previous key removed the agency's NATS user")
	}

	// The current key: the member is suspended and loses its NATS user.
	sr, err = s.RevokeKey(gh, second.KeyID(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if m := sr.Roster.Member(gh); m.Status != protocol.StatusSuspended {
		t.Fatalf("status %s after revoking the current key", m.Status)
	}
	if _, ok := mustUsers(t, dir).Agencies[gh]; ok {
		t.Fatal("a suspended agency keeps its NATS user")
	}
	if _, err := (&seal.RosterKeys{Roster: sr.Roster}).Card(gh); seal.ReasonOf(err) != protocol.ReasonRevoked {
		t.Fatalf("sealing to a suspended member: %v", err)
	}

	for _, tt := range []struct{ agency, kid, want string }{
		{gh, second.KeyID(), "already revoked: the agency is suspended"},
		{gh, first.KeyID(), "already revoked"},
		{gh, "nope", `has no key nope`},
		{"ne-mj", "nope", "not in the roster"},
		{"wacap-secretariat", sr.Roster.Member("wacap-secretariat").Card.KeyID(), "cannot be revoked"},
	} {
		if _, err := s.RevokeKey(tt.agency, tt.kid, time.Now()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("RevokeKey(%s, %s) = %v, want %q", tt.agency, tt.kid, err, tt.want)
		}
	}

	// Its new card reinstates it; the stolen key stays revoked from the
	// suspension, whatever the overlap asked.
	// New credentials are written, never over the old ones: with the old
	// file still in creds/, nothing changes.
	third := newCard(t, testNetwork, gh, protocol.KindClassic)
	var ex *ExistsError
	if _, err := s.Rotate(third, RotateOptions{}, time.Now()); !errors.As(err, &ex) {
		t.Fatalf("rotate over the old credentials file: %v", err)
	}
	if cur, err := LoadRoster(dir); err != nil || cur.Roster.Member(gh).Status != protocol.StatusSuspended {
		t.Fatalf("a refused rotation changed the roster: %v", err)
	}
	credsOut := filepath.Join(t.TempDir(), "gh-ag.creds")
	res, err := s.Rotate(third, RotateOptions{Overlap: 72 * time.Hour, CredsOut: credsOut}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m = res.Roster.Roster.Member(gh)
	suspendedAt := sr.Roster.Member(gh).Since
	if m.Status != protocol.StatusActive || len(m.Previous) != 2 || !m.Previous[1].Revoked || !m.Previous[1].ValidUntil.Equal(suspendedAt.Time) {
		t.Fatalf("after reinstating: %+v", m)
	}
	if res.CredsFile != credsOut {
		t.Fatalf("new credentials at %q", res.CredsFile)
	}
	if _, ok := mustUsers(t, dir).Agencies[gh]; !ok {
		t.Fatal("the reinstated agency has no NATS user")
	}
}

func reasonOf(err error) protocol.Reason {
	var ke *protocol.KeyError
	if errors.As(err, &ke) {
		return ke.Reason
	}
	return ""
}

func TestPreviousKeysLeaveTheRosterAfterRetention(t *testing.T) {
	t.Parallel()
	dir, _ := newTestDir(t, nil)
	s, err := OpenSecretariat(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	if _, err := s.Add(newCard(t, testNetwork, gh, protocol.KindClassic), "", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(newCard(t, testNetwork, gh, protocol.KindClassic), RotateOptions{Overlap: time.Hour}, now); err != nil {
		t.Fatal(err)
	}
	retention := time.Duration(s.cfg.Retention)
	sr, err := s.Renew(now.Add(retention))
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Roster.Member(gh).Previous) != 1 {
		t.Fatal("a previous key left the roster before the hub's retention was over")
	}
	sr, err = s.Renew(now.Add(retention + 2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Roster.Member(gh).Previous) != 0 {
		t.Fatal("a previous key stayed in the roster after the hub's retention")
	}
}

// TestReinstatingRevokesKeysInTheirOverlap: an agency rotated its keys,
// then lost the laptop holding both the new and the previous one during
// the overlap. Once reinstated, neither key is trusted after the
// suspension.
func TestReinstatingRevokesKeysInTheirOverlap(t *testing.T) {
	t.Parallel()
	dir, _ := newTestDir(t, nil)
	s, err := OpenSecretariat(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b, c := newCard(t, testNetwork, gh, protocol.KindClassic), newCard(t, testNetwork, gh, protocol.KindClassic), newCard(t, testNetwork, gh, protocol.KindClassic)
	if _, err := s.Add(a, filepath.Join(t.TempDir(), "a.creds"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(b, RotateOptions{Overlap: 72 * time.Hour}, time.Now()); err != nil {
		t.Fatal(err)
	}
	sr, err := s.RevokeKey(gh, b.KeyID(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	since := sr.Roster.Member(gh).Since
	res, err := s.Rotate(c, RotateOptions{Overlap: 72 * time.Hour, CredsOut: filepath.Join(t.TempDir(), "c.creds")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := res.Roster.Roster
	for _, kid := range []string{a.KeyID(), b.KeyID()} {
		if _, err := r.SigningKeyAt(gh, kid, since.Time); reasonOf(err) != protocol.ReasonRevoked {
			t.Errorf("key %s at the suspension: %v, want revoked", kid, err)
		}
		if _, err := r.SigningKeyAt(gh, kid, since.Add(-time.Millisecond)); err != nil {
			t.Errorf("key %s before the suspension: %v", kid, err)
		}
	}
	if _, err := r.SigningKeyAt(gh, c.KeyID(), time.Now()); err != nil {
		t.Fatalf("new key: %v", err)
	}
}
