package identity

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/protocol"
)

// KeysDir is the subdirectory of an identity directory where Rotate keeps
// the previous keys, each under its kid:
//
//	keys/KID.jwk    the previous signing key (secret, 0600)
//	keys/KID.age    the previous age identity (secret, 0600)
//	keys/KID.json   the previous member card
//
// The secret files keep the protection they had: encrypted with the
// passphrase, or not. The age identities are what keeps messages sealed to
// the old recipient readable; the signing key is needed only until the
// roster lists the new card, and may be deleted once the overlap is over.
const KeysDir = "keys"

// Extensions of the files of a previous key in KeysDir.
const (
	previousSigningExt = ".jwk"
	previousAgeExt     = ".age"
	previousCardExt    = ".json"
)

// Rotate gives the agency in dir new keys: a new signing key and a new age
// identity of the same kind, and a new member card with the same agency,
// network, name and country, created now. The previous files move to
// dir/keys under their kid (see KeysDir). Encrypted keys stay encrypted, with
// the same passphrase and scrypt work factor logN (0: age's default).
//
// Rotate returns the previous identity and the new one. The new card must
// then go to the secretariat ('casenode member rotate'); until the roster
// lists it, the agency's node goes on signing with the previous key
// (Identity.ForKey) and decrypts with both (Identity.AgeIdentities).
func Rotate(dir string, passphrase PassphraseFunc, logN int, now time.Time) (old, rotated *Identity, err error) {
	raw := make(map[string][]byte, 3)
	for _, name := range []string{SigningKeyFile, AgeIdentityFile, CardFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, fmt.Errorf("rotate keys: %w", err)
		}
		raw[name] = b
	}
	getPass := onePassphrase(passphrase)
	old, err = loadKeys(filepath.Join(dir, CardFile), filepath.Join(dir, SigningKeyFile), filepath.Join(dir, AgeIdentityFile), getPass)
	if err != nil {
		return nil, nil, err
	}
	var pass []byte
	if isArmored(raw[SigningKeyFile]) || isArmored(raw[AgeIdentityFile]) {
		if pass, err = getPass(); err != nil {
			return nil, nil, err
		}
	}
	c := old.Card
	if rotated, err = Generate(c.Network, c.Agency, c.Name, c.Country, c.Kind(), now); err != nil {
		return nil, nil, err
	}
	keys := filepath.Join(dir, KeysDir)
	if err := os.MkdirAll(keys, 0o700); err != nil {
		return nil, nil, fmt.Errorf("rotate keys: %w", err)
	}
	stage := filepath.Join(keys, ".rotate-"+rotated.KeyID())
	if err := rotated.SaveWorkFactor(stage, pass, logN); err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(stage)

	// Keep the previous files first: a crash after this leaves the current
	// identity untouched and a copy in keys/.
	kid := old.KeyID()
	for name, ext := range map[string]string{SigningKeyFile: previousSigningExt, AgeIdentityFile: previousAgeExt, CardFile: previousCardExt} {
		mode := fs.FileMode(0o600)
		if name == CardFile {
			mode = 0o644
		}
		if err := keepCopy(filepath.Join(keys, kid+ext), raw[name], mode); err != nil {
			return nil, nil, err
		}
	}
	if err := durable.SyncDir(keys); err != nil {
		return nil, nil, err
	}
	// The card goes last: until it is replaced, Load reports a mismatch
	// rather than use half-rotated keys.
	for _, name := range []string{AgeIdentityFile, SigningKeyFile, CardFile} {
		if err := os.Rename(filepath.Join(stage, name), filepath.Join(dir, name)); err != nil {
			return nil, nil, fmt.Errorf("rotate keys: %w (the previous keys are in %s)", err, keys)
		}
	}
	if err := durable.SyncDir(dir); err != nil {
		return nil, nil, err
	}
	return old, rotated, nil
}

// LoadAll reads the identity in dir, as Load does, and the previous keys
// that Rotate kept in dir/keys into Previous, newest first. A previous key
// whose signing key file was deleted keeps only its age identity. The
// passphrase is asked for at most once.
func LoadAll(dir string, passphrase PassphraseFunc) (*Identity, error) {
	getPass := onePassphrase(passphrase)
	id, err := loadKeys(filepath.Join(dir, CardFile), filepath.Join(dir, SigningKeyFile), filepath.Join(dir, AgeIdentityFile), getPass)
	if err != nil {
		return nil, err
	}
	keys := filepath.Join(dir, KeysDir)
	entries, err := os.ReadDir(keys)
	if errors.Is(err, fs.ErrNotExist) {
		return id, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read previous keys: %w", err)
	}
	for _, e := range entries {
		kid, ok := strings.CutSuffix(e.Name(), previousCardExt)
		if !ok || e.IsDir() || strings.HasPrefix(kid, ".") {
			continue
		}
		signing := filepath.Join(keys, kid+previousSigningExt)
		if _, err := os.Lstat(signing); errors.Is(err, fs.ErrNotExist) {
			signing = ""
		}
		p, err := loadKeys(filepath.Join(keys, e.Name()), signing, filepath.Join(keys, kid+previousAgeExt), getPass)
		if err != nil {
			return nil, fmt.Errorf("previous key %s: %w", kid, err)
		}
		if p.KeyID() != kid {
			return nil, fmt.Errorf("%s holds the card of key %s, not %s", filepath.Join(keys, e.Name()), p.KeyID(), kid)
		}
		if p.Agency() != id.Agency() || p.Network() != id.Network() {
			return nil, fmt.Errorf("%s is the card of %s in network %s, not of this agency", filepath.Join(keys, e.Name()), p.Agency(), p.Network())
		}
		id.Previous = append(id.Previous, p)
	}
	sort.SliceStable(id.Previous, func(i, j int) bool { return id.Previous[i].Card.Created.After(id.Previous[j].Card.Created.Time) })
	return id, nil
}

// PreviousCards returns the member cards of the previous keys kept in
// dir/keys, newest first, without reading any secret file.
func PreviousCards(dir string) ([]*protocol.MemberCard, error) {
	keys := filepath.Join(dir, KeysDir)
	entries, err := os.ReadDir(keys)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read previous keys: %w", err)
	}
	var out []*protocol.MemberCard
	for _, e := range entries {
		if kid, ok := strings.CutSuffix(e.Name(), previousCardExt); ok && !e.IsDir() && !strings.HasPrefix(kid, ".") {
			c, err := LoadCard(filepath.Join(keys, e.Name()))
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created.Time) })
	return out, nil
}

// AgeIdentities returns the identities that decrypt messages sealed to the
// agency: the current one first, then the previous ones.
func (id *Identity) AgeIdentities() []age.Identity {
	out := []age.Identity{id.Age}
	for _, p := range id.Previous {
		out = append(out, p.Age)
	}
	return out
}

// ForKey returns the identity whose signing key has id kid, current or
// previous, or nil when there is none (or its signing key was deleted). A
// node signs with the key the roster in force lists for its agency.
func (id *Identity) ForKey(kid string) *Identity {
	if id.KeyID() == kid {
		return id
	}
	for _, p := range id.Previous {
		if p.KeyID() == kid && p.Signing != nil {
			return p
		}
	}
	return nil
}

// keepCopy writes data to path with O_EXCL; an identical file already
// there, left by an interrupted Rotate, is fine.
func keepCopy(path string, data []byte, mode fs.FileMode) error {
	err := writeExclusive(path, data, mode)
	var ex *ExistsError
	if errors.As(err, &ex) {
		if have, rerr := os.ReadFile(path); rerr == nil && bytes.Equal(have, data) {
			return nil
		}
	}
	return err
}

func isArmored(b []byte) bool { return bytes.HasPrefix(bytes.TrimSpace(b), []byte(armor.Header)) }
