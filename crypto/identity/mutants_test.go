package identity

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age/armor"
	"github.com/casenode/casenode/protocol"
)

// The tests of this file hold what mutation testing (make mutants) found
// unheld in the key files: their size limits at the exact boundary, the
// default scrypt work factor, a half-encrypted identity's rotation and the
// agency of previous keys.

// padFile appends newlines to the file at path until it is size bytes.
func padFile(t *testing.T, path string, size int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > size {
		t.Fatalf("%s is already %d bytes", path, len(b))
	}
	if err := os.WriteFile(path, append(b, bytes.Repeat([]byte("\n"), size-len(b))...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestKeyFileSizeLimits: a secret key file and a member card file of
// exactly their limit load; a byte more is refused for its size.
func TestKeyFileSizeLimits(t *testing.T) {
	for _, c := range []struct {
		file  string
		limit int
		over  string
	}{
		{AgeIdentityFile, maxSecretFile, "is over 65536 bytes: not a casenode key file"},
		{SigningKeyFile, maxSecretFile, "is over 65536 bytes: not a casenode key file"},
		{CardFile, protocol.MaxCardSize, "over the limit of 16384"},
	} {
		dir := filepath.Join(t.TempDir(), "dakar")
		if err := generate(t, protocol.KindClassic).Save(dir, nil); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, c.file)
		padFile(t, path, c.limit)
		if _, err := Load(dir, nil); err != nil {
			t.Errorf("%s of exactly %d bytes: %v", c.file, c.limit, err)
		}
		padFile(t, path, c.limit+1)
		if _, err := Load(dir, nil); err == nil || !strings.Contains(err.Error(), c.over) {
			t.Errorf("%s of %d bytes: %v, want %q", c.file, c.limit+1, err, c.over)
		}
	}
}

// scryptWorkFactor returns the work factor of the armored age file b's
// scrypt stanza.
func scryptWorkFactor(t *testing.T, b []byte) string {
	t.Helper()
	s := bufio.NewScanner(armor.NewReader(bytes.NewReader(b)))
	for s.Scan() {
		if f := strings.Fields(s.Text()); len(f) == 4 && f[0] == "->" && f[1] == "scrypt" {
			return f[3]
		}
	}
	t.Fatalf("no scrypt stanza in %.80q", b)
	return ""
}

// TestEncryptDefaultWorkFactor: a work factor of 0 is age's default, 18
// (what Save uses); another is used as given.
func TestEncryptDefaultWorkFactor(t *testing.T) {
	for logN, want := range map[int]string{0: "18", 10: "10"} {
		b, err := encrypt([]byte("secret"), []byte("s3cret pass"), logN)
		if err != nil {
			t.Fatalf("work factor %d: %v", logN, err)
		}
		if got := scryptWorkFactor(t, b); got != want {
			t.Errorf("work factor %d: the file's is %s, want %s", logN, got, want)
		}
	}
}

// TestRotateHalfEncryptedKeys: when only one of the two secret key files is
// encrypted, the rotated keys are both encrypted.
func TestRotateHalfEncryptedKeys(t *testing.T) {
	for _, clear := range []string{SigningKeyFile, AgeIdentityFile} {
		id := generate(t, protocol.KindClassic)
		dir, plain := filepath.Join(t.TempDir(), "dakar"), filepath.Join(t.TempDir(), "plain")
		if err := id.SaveWorkFactor(dir, []byte("s3cret pass"), 10); err != nil {
			t.Fatal(err)
		}
		if err := id.Save(plain, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(plain, clear), filepath.Join(dir, clear)); err != nil {
			t.Fatal(err)
		}
		pass := func() ([]byte, error) { return []byte("s3cret pass"), nil }
		if _, _, err := Rotate(dir, pass, 10, now); err != nil {
			t.Fatalf("%s in clear: %v", clear, err)
		}
		for _, name := range []string{SigningKeyFile, AgeIdentityFile} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !isArmored(b) {
				t.Errorf("%s in clear before the rotation: the new %s is not encrypted (%v)", clear, name, err)
			}
		}
	}
}

// TestLoadAllRefusesPreviousKeyOfAnother: a previous key in keys/, filed
// under its own kid, is refused when its card is of another agency or of
// another network.
func TestLoadAllRefusesPreviousKeyOfAnother(t *testing.T) {
	for _, who := range [][2]string{{"wacap", "gh-ag"}, {"eccas", "sn-pj-dakar"}} {
		dir := filepath.Join(t.TempDir(), "dakar")
		if err := generate(t, protocol.KindClassic).Save(dir, nil); err != nil {
			t.Fatal(err)
		}
		other, err := Generate(who[0], who[1], "Other", "GH", protocol.KindClassic, now)
		if err != nil {
			t.Fatal(err)
		}
		od := filepath.Join(t.TempDir(), "other")
		if err := other.Save(od, nil); err != nil {
			t.Fatal(err)
		}
		keys := filepath.Join(dir, KeysDir)
		if err := os.Mkdir(keys, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, ext := range map[string]string{SigningKeyFile: previousSigningExt, AgeIdentityFile: previousAgeExt, CardFile: previousCardExt} {
			if err := os.Rename(filepath.Join(od, name), filepath.Join(keys, other.KeyID()+ext)); err != nil {
				t.Fatal(err)
			}
		}
		want := "is the card of " + who[1] + " in network " + who[0] + ", not of this agency"
		if _, err := LoadAll(dir, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a previous key of %s in %s: %v, want %q", who[1], who[0], err, want)
		}
	}
}

// TestPreviousCards: the cards of the previous keys, newest first; a
// directory or a hidden file named like a card is not one, and a card that
// does not load is an error.
func TestPreviousCards(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dakar")
	id := generate(t, protocol.KindClassic)
	if err := id.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	if cards, err := PreviousCards(dir); err != nil || cards != nil {
		t.Fatalf("before any rotation: %v, %v", cards, err)
	}
	_, first, err := Rotate(dir, nil, 0, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Rotate(dir, nil, 0, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, KeysDir)
	if err := os.Mkdir(filepath.Join(keys, "not-a-card.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys, ".stage.json"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	cards, err := PreviousCards(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 || cards[0].KeyID() != first.KeyID() || cards[1].KeyID() != id.KeyID() {
		t.Fatalf("previous cards %v, want %s then %s", cards, first.KeyID(), id.KeyID())
	}
	if err := os.WriteFile(filepath.Join(keys, "bad.json"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := PreviousCards(dir); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Fatalf("a card that does not load: %v", err)
	}
}
