package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
)

// TestLoadSecretariatKey reads the pinned key from a member card and from
// a public JWK, with or without its kid, and refuses a wrong kid.
func TestLoadSecretariatKey(t *testing.T) {
	sec, err := identity.Generate("wacap", "wacap-secretariat", "Secretariat", "SN", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	card, _ := sec.Card.Marshal()
	jwk, _ := sec.Card.SigningKey.MarshalJSON()
	noKid := strings.Replace(string(jwk), `"kid":"`+sec.KeyID()+`",`, "", 1)
	if noKid == string(jwk) {
		t.Fatalf("kid not found in %s", jwk)
	}
	e := newEnv()
	for name, data := range map[string]string{"card": string(card), "jwk": string(jwk), "jwk without kid": noKid} {
		k, err := loadSecretariatKey(e, write(name, data), "wacap")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if k.KeyID != sec.KeyID() || k.Algorithm != "EdDSA" || k.Use != "sig" {
			t.Errorf("%s: key %+v", name, k)
		}
	}
	badKid := strings.Replace(string(jwk), sec.KeyID(), "AAAA"+sec.KeyID()[4:], 1)
	if _, err := loadSecretariatKey(e, write("bad", badKid), "wacap"); err == nil || !strings.Contains(err.Error(), "thumbprint") {
		t.Errorf("wrong kid: %v", err)
	}
}
