package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/hint"
)

// TestKeysRotate runs 'casenode keys rotate' and 'keys list' on an agency
// directory with encrypted keys: new keys, the previous ones kept in keys/
// with the same protection, and the output that tells what to do next.
func TestKeysRotate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "accra")
	var out, errOut syncBuffer
	e := testEnv(&out, &errOut)
	e.getenv = func(k string) string {
		return map[string]string{passphraseEnv: "correct horse", workFactorEnv: "10"}[k]
	}
	ctx := context.Background()
	if err := runInit(ctx, e, []string{"--dir", dir, "--network", "wacap", "--agency", "gh-ag", "--name", "AG", "--country", "GH", "--classic", "--passphrase"}); err != nil {
		t.Fatal(err)
	}
	before, err := identity.LoadCard(filepath.Join(dir, identity.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	out = syncBuffer{}
	e.now = func() time.Time { return time.Now().Add(time.Hour) }
	if err := runKeys(ctx, e, []string{"rotate", "--dir", dir}); err != nil {
		t.Fatal(err)
	}
	after, err := identity.LoadCard(filepath.Join(dir, identity.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"new keys for agency gh-ag in network wacap\n",
		"new signing key id:  " + after.KeyID() + "\n",
		"previous key id:     " + before.KeyID() + ", kept in " + filepath.Join(dir, "keys"),
		"next: the secretariat runs 'casenode member rotate --dir HUB member.json'",
		"A running node takes the new keys once the roster lists the new card",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for name, mode := range map[string]os.FileMode{before.KeyID() + ".jwk": 0o600, before.KeyID() + ".age": 0o600, before.KeyID() + ".json": 0o644} {
		st, err := os.Stat(filepath.Join(dir, "keys", name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("keys/%s: mode %#o", name, st.Mode().Perm())
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "keys", name)); mode == 0o600 && !strings.HasPrefix(string(b), "-----BEGIN AGE ENCRYPTED FILE-----") {
			t.Errorf("keys/%s is not encrypted any more", name)
		}
	}
	all, err := identity.LoadAll(dir, func() ([]byte, error) { return []byte("correct horse"), nil })
	if err != nil || all.KeyID() != after.KeyID() || len(all.Previous) != 1 {
		t.Fatalf("LoadAll after the rotation: %v", err)
	}

	out = syncBuffer{}
	if err := runKeys(ctx, e, []string{"list", "--dir", dir}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(after.KeyID()) + ` +\S+ +current\n` + regexp.QuoteMeta(before.KeyID()) + ` +\S+ +previous$`).MatchString(out.String()) {
		t.Errorf("keys list:\n%s", out.String())
	}

	// Without the passphrase, nothing changes.
	e.getenv = func(string) string { return "" }
	e.stdin = strings.NewReader("wrong\n")
	err = runKeys(ctx, e, []string{"rotate", "--dir", dir, "--passphrase-stdin"})
	if err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("rotate with a wrong passphrase: %v", err)
	}
	if again, _ := identity.LoadCard(filepath.Join(dir, identity.CardFile)); again.KeyID() != after.KeyID() {
		t.Fatal("a refused rotation changed the keys")
	}
	if err := runKeys(ctx, e, []string{"rotate"}); err == nil || !strings.Contains(err.Error(), "--dir is required") {
		t.Fatalf("rotate without --dir: %v", err)
	}
	if err := runKeys(ctx, e, []string{"rotate", "--dir", t.TempDir()}); err == nil || !strings.Contains(errHint(err), "casenode init") {
		t.Fatalf("rotate of a directory without keys: %v", err)
	}
}

// errHint returns the hint of err, if it has one.
func errHint(err error) string {
	var h hint.Hinted
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}
