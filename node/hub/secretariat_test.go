package hub

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nkeys"
)

// newTestDir creates a hub directory without starting its hub.
func newTestDir(t *testing.T, passphrase []byte) (string, *InitResult) {
	t.Helper()
	dir := t.TempDir()
	res, err := Init(dir, InitOptions{Network: testNetwork, Country: "SN", Kind: protocol.KindClassic, Passphrase: passphrase, WorkFactor: 10, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return dir, res
}

func newCard(t *testing.T, network, agency string, kind protocol.RecipientKind) *protocol.MemberCard {
	t.Helper()
	id, err := identity.Generate(network, agency, "Agency "+agency, "GH", kind, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return id.Card
}

func TestInit(t *testing.T) {
	dir, res := newTestDir(t, nil)
	if res.Card.Agency != "wacap-secretariat" || res.Roster.Roster.Serial != 1 || len(res.Roster.Roster.Members) != 1 {
		t.Fatalf("init: %+v", res.Roster.Roster)
	}
	for _, p := range []string{res.AdminCreds, res.AgencyCreds} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", p, fi.Mode().Perm())
		}
	}
	sr, err := LoadRoster(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sr.JWS, res.Roster.JWS) {
		t.Fatal("stored roster differs")
	}
	_, err = Init(dir, InitOptions{Network: testNetwork, Country: "SN", Now: time.Now()})
	var exists *ExistsError
	if !errors.As(err, &exists) {
		t.Fatalf("second init: %v", err)
	}
	if _, err := Init(t.TempDir(), InitOptions{Network: testNetwork, Country: "XX", Now: time.Now()}); err == nil {
		t.Fatal("init with a bad country")
	}
}

func TestAddWritesCredsAndRoster(t *testing.T) {
	dir, _ := newTestDir(t, nil)
	s, err := OpenSecretariat(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := filepath.Join(t.TempDir(), "gh-ag.creds")
	sr, err := s.Add(newCard(t, testNetwork, "gh-ag", protocol.KindClassic), out, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if sr.Roster.Serial != 2 || sr.Roster.Member("gh-ag").Status != protocol.StatusActive {
		t.Fatalf("roster after add: %+v", sr.Roster)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.ParseDecoratedNKey(data)
	if err != nil {
		t.Fatalf("creds file: %v\n%s", err, data)
	}
	pub, _ := kp.PublicKey()
	users, err := loadUsers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if users.Agencies["gh-ag"] != pub {
		t.Fatal("users.json does not hold the creds' public key")
	}
	if got, err := LoadRoster(dir); err != nil || got.Roster.Serial != 2 {
		t.Fatalf("stored roster: %v", err)
	}
}

func TestAddRefuses(t *testing.T) {
	dir, res := newTestDir(t, nil)
	s, err := OpenSecretariat(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gh := newCard(t, testNetwork, "gh-ag", protocol.KindClassic)
	if _, err := s.Add(gh, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	sameKey := *newCard(t, testNetwork, "ne-mj", protocol.KindClassic)
	sameKey.SigningKey = gh.SigningKey
	tests := []struct {
		name string
		card *protocol.MemberCard
		want string
	}{
		{"duplicate", newCard(t, testNetwork, "gh-ag", protocol.KindClassic), `agency "gh-ag" is already in the roster (active since`},
		{"secretariat", res.Card, `agency "wacap-secretariat" is already in the roster`},
		{"network", newCard(t, "eccas", "cm-mj", protocol.KindClassic), `is for network "eccas", but this hub serves "wacap"`},
		{"kind", newCard(t, testNetwork, "ml-mj", protocol.KindHybrid), "network wacap uses x25519"},
		{"same key", &sameKey, `same signing key as member "gh-ag"`},
	}
	for _, tt := range tests {
		_, err := s.Add(tt.card, "", time.Now())
		var me *hint.Error
		if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.want) || me.Hint() == "" {
			t.Errorf("%s: Add = %v, want %q", tt.name, err, tt.want)
		}
	}
	// A creds file in the way stops the change before anything is written.
	out := filepath.Join(t.TempDir(), "x.creds")
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var exists *ExistsError
	if _, err := s.Add(newCard(t, testNetwork, "bj-mj", protocol.KindClassic), out, time.Now()); !errors.As(err, &exists) {
		t.Fatalf("add over an existing creds file: %v", err)
	}
	if sr, err := LoadRoster(dir); err != nil || sr.Roster.Serial != 2 || sr.Roster.Member("bj-mj") != nil {
		t.Fatalf("roster changed by a failed add: %v", err)
	}
}

func TestRevokeAndRenew(t *testing.T) {
	dir, _ := newTestDir(t, nil)
	s, err := OpenSecretariat(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Add(newCard(t, testNetwork, "gh-ag", protocol.KindClassic), "", time.Now()); err != nil {
		t.Fatal(err)
	}
	sr, err := s.Revoke("gh-ag", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if sr.Roster.Serial != 3 || sr.Roster.Member("gh-ag").Status != protocol.StatusRevoked {
		t.Fatalf("after revoke: %+v", sr.Roster.Members)
	}
	users, err := loadUsers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := users.Agencies["gh-ag"]; !ok {
		t.Fatal("revoked agency lost its NATS user: its node cannot learn that it is revoked")
	}
	for agency, want := range map[string]string{"gh-ag": "already revoked", "wacap-secretariat": "cannot be revoked", "ne-mj": "not in the roster"} {
		if _, err := s.Revoke(agency, time.Now()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("revoke %s: %v, want %q", agency, err, want)
		}
	}
	if _, err := s.Add(newCard(t, testNetwork, "gh-ag", protocol.KindClassic), "", time.Now()); err == nil {
		t.Fatal("a revoked agency id was admitted again")
	}
	later := time.Now().Add(time.Hour)
	renewed, err := s.Renew(later)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.Roster.Serial != 4 || !renewed.Roster.Expires.After(sr.Roster.Expires.Time) {
		t.Fatalf("renew: serial %d expires %s", renewed.Roster.Serial, renewed.Roster.Expires)
	}
	if _, err := s.Renew(later.Add(-24 * time.Hour)); err == nil || !strings.Contains(err.Error(), "clock") {
		t.Fatalf("renew with a clock behind the roster: %v", err)
	}
}

func TestEncryptedSecretariatKey(t *testing.T) {
	dir, _ := newTestDir(t, []byte("correct horse"))
	s, err := OpenSecretariat(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Renew(time.Now()); !errors.Is(err, identity.ErrPassphraseNeeded) {
		t.Fatalf("renew without passphrase: %v", err)
	}
	s.Close()
	s, err = OpenSecretariat(dir, func() ([]byte, error) { return []byte("correct horse"), nil })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if sr, err := s.Renew(time.Now()); err != nil || sr.Roster.Serial != 2 {
		t.Fatalf("renew with passphrase: %v", err)
	}
}

func TestVerifyRosterRefusesTampering(t *testing.T) {
	_, res := newTestDir(t, nil)
	pinned := res.Card.PublicKey()
	good := res.Roster.JWS
	if _, err := VerifyRoster(good, pinned); err != nil {
		t.Fatal(err)
	}
	parts := bytes.Split(good, []byte("."))
	payload, err := jws.Parse(good, protocol.RosterType, protocol.MaxSignedRosterSize)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(payload.Payload, []byte(`"serial":1`), []byte(`"serial":9`), 1)
	forged := bytes.Join([][]byte{parts[0], []byte(b64(tampered)), parts[2]}, []byte("."))
	if _, err := VerifyRoster(forged, pinned); !errors.Is(err, jws.ErrBadSignature) {
		t.Fatalf("tampered payload: %v", err)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	signed, err := jws.Sign(other, protocol.RosterType, nil, payload.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyRoster(signed, pinned); err == nil || !strings.Contains(err.Error(), "not by the secretariat's key") {
		t.Fatalf("roster signed by another key: %v", err)
	}
	wrongType, err := jws.Sign(other, "casenode-message", nil, payload.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyRoster(wrongType, pinned); !errors.Is(err, jws.ErrMalformed) {
		t.Fatalf("JWS of another type: %v", err)
	}
}
