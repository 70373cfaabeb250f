package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// TestAuditReplayTrustsAsVerifyDoes holds that 'audit replay --dir' opens
// each message with the keys 'audit verify' judges it by — the roster in
// force once there is one — and not with the cards of the key records
// alone: a message signed with a peer's new key, which only the roster
// lists, is decrypted, and one from an agency the roster revoked before the
// message was created is not.
func TestAuditReplayTrustsAsVerifyDoes(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour) // the peer's new key, the other agency's revocation
	gen := func(agency string) *identity.Identity {
		id, err := identity.Generate("wacap", agency, "Agency "+agency, "SN", protocol.KindClassic, t0.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	own, peer, peer2, other, sec := gen("sn-pj-dakar"), gen("gh-ag"), gen("gh-ag"), gen("ng-ag"), gen("wacap-sec")
	dir := t.TempDir()
	idDir := filepath.Join(dir, "id")
	if err := own.Save(idDir, nil); err != nil {
		t.Fatal(err)
	}

	member := func(id *identity.Identity, status protocol.MemberStatus, since time.Time, prev ...protocol.PreviousKey) protocol.RosterMember {
		return protocol.RosterMember{Card: *id.Card, Status: status, Since: protocol.NewTime(since), Previous: prev}
	}
	roster := func(serial uint64, issued time.Time, members ...protocol.RosterMember) []byte {
		members = append(members, member(sec, protocol.StatusActive, t0.Add(-24*time.Hour)))
		sort.Slice(members, func(i, j int) bool { return members[i].Card.Agency < members[j].Card.Agency })
		r := &protocol.Roster{Version: protocol.RosterVersion, Network: "wacap", Serial: serial, Kind: protocol.KindClassic,
			Issued: protocol.NewTime(issued), Expires: protocol.NewTime(issued.Add(365 * 24 * time.Hour)), Secretariat: sec.Agency(), Members: members}
		payload, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		signed, err := jws.Sign(sec.Signing, protocol.RosterType, nil, payload)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	received := func(from *identity.Identity, created time.Time) (auditlog.Entry, string) {
		s, err := seal.Seal(from, []*protocol.MemberCard{own.Card}, protocol.TypeLead, protocol.Example(protocol.TypeLead), seal.Options{Now: created})
		if err != nil {
			t.Fatal(err)
		}
		return auditlog.Entry{Type: auditlog.TypeReceived, Actor: from.Agency(), MessageID: s.Header.ID, Payload: s.Raw}, s.Header.ID
	}
	card := func(id *identity.Identity) auditlog.Entry {
		b, err := id.Card.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return auditlog.Entry{Type: auditlog.TypeKey, Actor: id.Agency(), Payload: b}
	}
	config, err := json.Marshal(map[string]any{"network": "wacap", "agency": own.Agency(), "secretariat_key": sec.Card.SigningKey})
	if err != nil {
		t.Fatal(err)
	}
	prev := protocol.PreviousKey{SigningKey: peer.Card.SigningKey, ValidUntil: protocol.NewTime(t1.Add(time.Hour))}
	r1 := roster(1, t0, member(own, protocol.StatusActive, t0), member(peer, protocol.StatusActive, t0), member(other, protocol.StatusActive, t0))
	r2 := roster(2, t1, member(own, protocol.StatusActive, t0), member(peer2, protocol.StatusActive, t1, prev), member(other, protocol.StatusRevoked, t1))
	fromNewKey, newKeyID := received(peer2, t1.Add(10*time.Minute))
	fromRevoked, revokedID := received(other, t1.Add(20*time.Minute))
	entries := []auditlog.Entry{
		card(peer), card(other),
		{Type: auditlog.TypeConfig, Actor: "operator", Payload: config},
		{Type: auditlog.TypeRoster, Actor: sec.Agency(), Payload: r1},
		{Type: auditlog.TypeRoster, Actor: sec.Agency(), Payload: r2},
		fromNewKey, fromRevoked,
	}
	db := filepath.Join(dir, auditlog.FileName)
	l, err := auditlog.Open(db, auditlog.Options{Card: own.Card, Key: own.Signing})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "audit", "replay", "--db", db, "--dir", idDir)
	if code != exitOK {
		t.Fatalf("replay: exit code %d\n%s", code, stderr)
	}
	line := func(id string) string {
		for _, l := range strings.Split(stdout, "\n") {
			if strings.Contains(l, "message "+id) {
				return l
			}
		}
		t.Fatalf("no line for message %s in\n%s", id, stdout)
		return ""
	}
	if l := line(newKeyID); strings.Contains(l, "not decrypted") {
		t.Errorf("the message signed with the peer's new key, which the roster in force lists, is not decrypted:\n%s", l)
	}
	if l := line(revokedID); !strings.Contains(l, "not decrypted") || !strings.Contains(l, "revoked") {
		t.Errorf("the message from an agency revoked before it was created is decrypted:\n%s", l)
	}
	if !strings.Contains(stdout, "Case threads") {
		t.Errorf("no case thread printed:\n%s", stdout)
	}

	// verify judges the same log the same way: the revoked agency's message
	// is a trust failure.
	code, _, stderr = runCLI(t, "audit", "verify", "--db", db, "--card", filepath.Join(idDir, identity.CardFile))
	if code != 6 || !strings.Contains(stderr, "revoked") {
		t.Errorf("verify: exit code %d, want 6 (trust) about the revoked sender\n%s", code, stderr)
	}
}
