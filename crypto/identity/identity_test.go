package identity

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func generate(t *testing.T, kind protocol.RecipientKind) *Identity {
	t.Helper()
	id, err := Generate("wacap", "sn-pj-dakar", "Parquet de Dakar", "SN", kind, now)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSaveLoad(t *testing.T) {
	for _, kind := range []protocol.RecipientKind{protocol.KindHybrid, protocol.KindClassic} {
		t.Run(string(kind), func(t *testing.T) {
			id := generate(t, kind)
			dir := filepath.Join(t.TempDir(), "dakar")
			if err := id.Save(dir, nil); err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]os.FileMode{SigningKeyFile: 0o600, AgeIdentityFile: 0o600, CardFile: 0o644} {
				st, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != want {
					t.Fatalf("%s: mode %#o, want %#o", name, st.Mode().Perm(), want)
				}
			}
			got, err := Load(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Signing.Equal(id.Signing) || got.Card.AgeRecipient != id.Card.AgeRecipient || got.KeyID() != id.KeyID() {
				t.Fatal("loaded identity differs from the saved one")
			}
			if got.Card.Kind() != kind {
				t.Fatalf("kind %s, want %s", got.Card.Kind(), kind)
			}
		})
	}
}

func TestSaveRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	if err := generate(t, protocol.KindClassic).Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, SigningKeyFile))
	err := generate(t, protocol.KindClassic).Save(dir, nil)
	var ex *ExistsError
	if !errors.As(err, &ex) || ex.Path != filepath.Join(dir, SigningKeyFile) {
		t.Fatalf("got %v, want ExistsError naming %s", err, SigningKeyFile)
	}
	after, _ := os.ReadFile(filepath.Join(dir, SigningKeyFile))
	if string(before) != string(after) {
		t.Fatal("the existing key was changed")
	}
	// One stray file is enough to refuse, and nothing else is written.
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, CardFile), []byte("{}"), 0o644)
	if err := generate(t, protocol.KindClassic).Save(dir2, nil); !errors.As(err, &ex) || ex.Path != filepath.Join(dir2, CardFile) {
		t.Fatalf("got %v, want ExistsError naming %s", err, CardFile)
	}
	if _, err := os.Stat(filepath.Join(dir2, SigningKeyFile)); !os.IsNotExist(err) {
		t.Fatal("a secret key was written next to a stray card")
	}
}

func TestLoadRefusesReadableSecret(t *testing.T) {
	dir := t.TempDir()
	if err := generate(t, protocol.KindClassic).Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, AgeIdentityFile), 0o644)
	_, err := Load(dir, nil)
	var pe *PermissionError
	if !errors.As(err, &pe) || !strings.HasSuffix(pe.Path, AgeIdentityFile) || !strings.Contains(pe.Hint(), "chmod 600") {
		t.Fatalf("got %v, want PermissionError for %s", err, AgeIdentityFile)
	}
}

func TestLoadRefusesMismatchedCard(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := generate(t, protocol.KindClassic).Save(a, nil); err != nil {
		t.Fatal(err)
	}
	if err := generate(t, protocol.KindClassic).Save(b, nil); err != nil {
		t.Fatal(err)
	}
	card, _ := os.ReadFile(filepath.Join(b, CardFile))
	os.WriteFile(filepath.Join(a, CardFile), card, 0o644)
	if _, err := Load(a, nil); err == nil || !strings.Contains(err.Error(), "does not match the signing key") {
		t.Fatalf("got %v, want a mismatch error", err)
	}
}

func TestPassphrase(t *testing.T) {
	id := generate(t, protocol.KindHybrid)
	dir := t.TempDir()
	if err := id.SaveWorkFactor(dir, []byte("s3cret pass"), 10); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{SigningKeyFile, AgeIdentityFile} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if !strings.HasPrefix(string(b), "-----BEGIN AGE ENCRYPTED FILE-----") || strings.Contains(string(b), "AGE-SECRET-KEY") || strings.Contains(string(b), `"d"`) {
			t.Fatalf("%s is not an armored age file hiding the key", f)
		}
	}
	if _, err := Load(dir, nil); !errors.Is(err, ErrPassphraseNeeded) {
		t.Fatalf("without a passphrase: got %v, want ErrPassphraseNeeded", err)
	}
	var wrong *WrongPassphraseError
	if _, err := Load(dir, func() ([]byte, error) { return []byte("wrong"), nil }); !errors.As(err, &wrong) {
		t.Fatalf("wrong passphrase: got %v, want WrongPassphraseError", err)
	}
	calls := 0
	got, err := Load(dir, func() ([]byte, error) { calls++; return []byte("s3cret pass"), nil })
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("passphrase asked %d times, want once", calls)
	}
	if !got.Signing.Equal(id.Signing) {
		t.Fatal("loaded key differs")
	}
}

func TestGenerateValidates(t *testing.T) {
	if _, err := Generate("wacap", "SN_PJ", "x", "SN", protocol.KindClassic, now); err == nil || !strings.Contains(err.Error(), "member card agency") {
		t.Fatalf("got %v", err)
	}
	if _, err := Generate("wacap", "sn-pj", "x", "SN", "rsa", now); err == nil || !strings.Contains(err.Error(), `unknown recipient kind "rsa"`) {
		t.Fatalf("got %v", err)
	}
}
