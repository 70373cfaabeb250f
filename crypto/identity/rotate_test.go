package identity

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/casenode/casenode/protocol"
)

// encryptTo encrypts a short text to id's age recipient.
func encryptTo(t *testing.T, id *Identity, text string) []byte {
	t.Helper()
	r, err := protocol.ParseRecipient(id.Card.AgeRecipient)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(text))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decryptWith(ciphertext []byte, ids ...age.Identity) (string, error) {
	r, err := age.Decrypt(bytes.NewReader(ciphertext), ids...)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	_, err = out.ReadFrom(r)
	return out.String(), err
}

func TestRotateKeepsPreviousKeys(t *testing.T) {
	for _, kind := range []protocol.RecipientKind{protocol.KindHybrid, protocol.KindClassic} {
		t.Run(string(kind), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "dakar")
			first := generate(t, kind)
			if err := first.Save(dir, nil); err != nil {
				t.Fatal(err)
			}
			oldMsg := encryptTo(t, first, "sealed before the rotation")

			old, rotated, err := Rotate(dir, nil, 0, now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if old.KeyID() != first.KeyID() || rotated.KeyID() == first.KeyID() || rotated.Card.AgeRecipient == first.Card.AgeRecipient {
				t.Fatal("rotation did not make new keys")
			}
			c, o := rotated.Card, first.Card
			if c.Agency != o.Agency || c.Network != o.Network || c.Name != o.Name || c.Country != o.Country || c.Kind() != kind || !c.Created.Equal(now.Add(time.Hour)) {
				t.Fatalf("new card %+v does not carry the old card's identity", c)
			}

			// Load gives the new keys; the old ones sit in keys/, secret files 0600.
			cur, err := Load(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cur.KeyID() != rotated.KeyID() || !cur.Signing.Equal(rotated.Signing) || len(cur.Previous) != 0 {
				t.Fatal("Load after rotation does not give the new keys alone")
			}
			kid := first.KeyID()
			for name, want := range map[string]os.FileMode{kid + ".jwk": 0o600, kid + ".age": 0o600, kid + ".json": 0o644} {
				st, err := os.Stat(filepath.Join(dir, KeysDir, name))
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != want {
					t.Errorf("%s: mode %#o, want %#o", name, st.Mode().Perm(), want)
				}
			}
			if st, err := os.Stat(filepath.Join(dir, KeysDir)); err != nil || st.Mode().Perm() != 0o700 {
				t.Fatalf("keys/: %v, %v", st, err)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, KeysDir)); len(entries) != 3 {
				t.Fatalf("keys/ holds %d entries, want 3 (no staging left behind)", len(entries))
			}

			// LoadAll gives both; old messages decrypt, with the previous identity only.
			all, err := LoadAll(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(all.Previous) != 1 || all.Previous[0].KeyID() != kid || !all.Previous[0].Signing.Equal(first.Signing) {
				t.Fatalf("LoadAll: %d previous keys", len(all.Previous))
			}
			if _, err := decryptWith(oldMsg, all.Age); err == nil {
				t.Fatal("the new identity decrypts a message sealed to the old one")
			}
			if got, err := decryptWith(oldMsg, all.AgeIdentities()...); err != nil || got != "sealed before the rotation" {
				t.Fatalf("old message with AgeIdentities: %q, %v", got, err)
			}
			if got, err := decryptWith(encryptTo(t, rotated, "new"), all.AgeIdentities()...); err != nil || got != "new" {
				t.Fatalf("new message: %q, %v", got, err)
			}
			if all.ForKey(kid) != all.Previous[0] || all.ForKey(rotated.KeyID()) != all || all.ForKey("nope") != nil {
				t.Fatal("ForKey does not find the keys by kid")
			}

			// A second rotation keeps both previous keys, newest first.
			if _, _, err := Rotate(dir, nil, 0, now.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			all, err = LoadAll(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(all.Previous) != 2 || all.Previous[0].KeyID() != rotated.KeyID() || all.Previous[1].KeyID() != kid {
				t.Fatalf("after two rotations: %d previous keys", len(all.Previous))
			}
			// Deleting an old signing key after the overlap keeps its age identity usable.
			if err := os.Remove(filepath.Join(dir, KeysDir, kid+".jwk")); err != nil {
				t.Fatal(err)
			}
			all, err = LoadAll(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if all.ForKey(kid) != nil || all.Previous[1].Signing != nil {
				t.Fatal("a deleted signing key is still offered")
			}
			if _, err := decryptWith(oldMsg, all.AgeIdentities()...); err != nil {
				t.Fatalf("old message after deleting the old signing key: %v", err)
			}
		})
	}
}

func TestRotateEncryptedKeys(t *testing.T) {
	dir := t.TempDir()
	if err := generate(t, protocol.KindClassic).SaveWorkFactor(dir, []byte("s3cret pass"), 10); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Rotate(dir, nil, 10, now); !errors.Is(err, ErrPassphraseNeeded) {
		t.Fatalf("rotate without the passphrase: %v", err)
	}
	calls := 0
	pass := func() ([]byte, error) { calls++; return []byte("s3cret pass"), nil }
	old, _, err := Rotate(dir, pass, 10, now)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("passphrase asked %d times", calls)
	}
	for _, p := range []string{SigningKeyFile, AgeIdentityFile, filepath.Join(KeysDir, old.KeyID()+".jwk"), filepath.Join(KeysDir, old.KeyID()+".age")} {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "-----BEGIN AGE ENCRYPTED FILE-----") || strings.Contains(string(b), "AGE-SECRET-KEY") {
			t.Errorf("%s is not encrypted", p)
		}
	}
	calls = 0
	all, err := LoadAll(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || len(all.Previous) != 1 || all.Previous[0].KeyID() != old.KeyID() {
		t.Fatalf("LoadAll: %d calls, %d previous", calls, len(all.Previous))
	}
}

func TestLoadAllRefusesStrayPreviousKey(t *testing.T) {
	dir := t.TempDir()
	if err := generate(t, protocol.KindClassic).Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	old, _, err := Rotate(dir, nil, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, KeysDir)
	if err := os.Chmod(filepath.Join(keys, old.KeyID()+".age"), 0o644); err != nil {
		t.Fatal(err)
	}
	var pe *PermissionError
	if _, err := LoadAll(dir, nil); !errors.As(err, &pe) {
		t.Fatalf("readable previous age identity: %v", err)
	}
	os.Chmod(filepath.Join(keys, old.KeyID()+".age"), 0o600)
	if err := os.Rename(filepath.Join(keys, old.KeyID()+".json"), filepath.Join(keys, "other.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAll(dir, nil); err == nil {
		t.Fatal("a card filed under another kid was accepted")
	}
}

func TestRotateResumesAfterInterruption(t *testing.T) {
	dir := t.TempDir()
	first := generate(t, protocol.KindClassic)
	if err := first.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	// An earlier Rotate copied the old files and stopped before renaming.
	keys := filepath.Join(dir, KeysDir)
	os.MkdirAll(keys, 0o700)
	for name, ext := range map[string]string{SigningKeyFile: ".jwk", AgeIdentityFile: ".age", CardFile: ".json"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		os.WriteFile(filepath.Join(keys, first.KeyID()+ext), b, 0o600)
	}
	if _, _, err := Rotate(dir, nil, 0, now); err != nil {
		t.Fatalf("rotate after an interrupted rotate: %v", err)
	}
	// But a different file under the old kid is never overwritten.
	cur, _ := Load(dir, nil)
	os.WriteFile(filepath.Join(keys, cur.KeyID()+".jwk"), []byte("other"), 0o600)
	var ex *ExistsError
	if _, _, err := Rotate(dir, nil, 0, now); !errors.As(err, &ex) {
		t.Fatalf("rotate over a different kept key: %v", err)
	}
	if again, _ := Load(dir, nil); again.KeyID() != cur.KeyID() {
		t.Fatal("a refused rotation changed the current keys")
	}
}
