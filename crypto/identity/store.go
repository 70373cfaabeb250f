package identity

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

// maxSecretFile bounds a secret key file; real ones are a few KiB.
const maxSecretFile = 64 << 10

// ExistsError reports that an identity file is already there; Save never
// overwrites keys.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already exists: refusing to overwrite an agency identity", e.Path)
}

// Hint tells the user what to do instead.
func (e *ExistsError) Hint() string {
	return "choose another --dir, or move the existing identity away first if you really mean to replace it"
}

// Save writes the identity into dir (created 0700 if missing). The secret
// files are created with O_EXCL and mode 0600; with a non-empty passphrase
// their content is encrypted to it with age's scrypt recipient. Save refuses
// to overwrite any existing identity file.
func (id *Identity) Save(dir string, passphrase []byte) error {
	return id.SaveWorkFactor(dir, passphrase, 0)
}

// SaveWorkFactor is Save with an explicit scrypt work factor (log2 of N) for
// the passphrase; 0 means age's default (18, about a second). Lower factors
// are for tests only: each step down halves an attacker's cost.
func (id *Identity) SaveWorkFactor(dir string, passphrase []byte, logN int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create identity directory: %w", err)
	}
	for _, name := range []string{SigningKeyFile, AgeIdentityFile, CardFile} {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err == nil {
			return &ExistsError{Path: p}
		}
	}
	jwk := jose.JSONWebKey{Key: id.Signing, KeyID: id.KeyID(), Algorithm: string(jose.EdDSA), Use: "sig"}
	signing, err := jwk.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode signing key: %w", err)
	}
	ageText := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", id.Card.Created, id.Card.AgeRecipient, id.ageText)
	card, err := json.MarshalIndent(id.Card, "", "  ")
	if err != nil {
		return fmt.Errorf("encode member card: %w", err)
	}
	if len(passphrase) > 0 {
		if signing, err = encrypt(append(signing, '\n'), passphrase, logN); err != nil {
			return err
		}
		if ageText, err = encryptString(ageText, passphrase, logN); err != nil {
			return err
		}
	} else {
		signing = append(signing, '\n')
	}
	if err := writeExclusive(filepath.Join(dir, SigningKeyFile), signing, 0o600); err != nil {
		return err
	}
	if err := writeExclusive(filepath.Join(dir, AgeIdentityFile), []byte(ageText), 0o600); err != nil {
		return err
	}
	return writeExclusive(filepath.Join(dir, CardFile), append(card, '\n'), 0o644)
}

func encryptString(s string, passphrase []byte, logN int) (string, error) {
	b, err := encrypt([]byte(s), passphrase, logN)
	return string(b), err
}

// encrypt seals data to an age scrypt recipient, armored.
func encrypt(data, passphrase []byte, logN int) ([]byte, error) {
	r, err := age.NewScryptRecipient(string(passphrase))
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	if logN > 0 {
		r.SetWorkFactor(logN)
	}
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return nil, fmt.Errorf("encrypt key file: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("encrypt key file: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypt key file: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("encrypt key file: %w", err)
	}
	return buf.Bytes(), nil
}

// writeExclusive creates path with O_EXCL and writes data durably.
func writeExclusive(path string, data []byte, mode fs.FileMode) error {
	err := durable.WriteNew(path, data, mode)
	if errors.Is(err, fs.ErrExist) {
		return &ExistsError{Path: path}
	}
	return err
}

// PassphraseFunc supplies the passphrase of encrypted key files. Load calls
// it at most once, and only if a key file is encrypted.
type PassphraseFunc func() ([]byte, error)

// ErrPassphraseNeeded is returned by Load when the keys are encrypted and no
// PassphraseFunc was given.
var ErrPassphraseNeeded = errors.New("the agency's secret keys are encrypted with a passphrase")

// Load reads the identity in dir. Secret files readable by group or others
// are refused. passphrase may be nil when the keys are not encrypted.
func Load(dir string, passphrase PassphraseFunc) (*Identity, error) {
	return loadKeys(filepath.Join(dir, CardFile), filepath.Join(dir, SigningKeyFile), filepath.Join(dir, AgeIdentityFile), onePassphrase(passphrase))
}

// onePassphrase returns a function that asks passphrase at most once and
// then remembers the answer.
func onePassphrase(passphrase PassphraseFunc) func() ([]byte, error) {
	var pass []byte
	return func() ([]byte, error) {
		if pass != nil {
			return pass, nil
		}
		if passphrase == nil {
			return nil, ErrPassphraseNeeded
		}
		p, err := passphrase()
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		pass = p
		return pass, nil
	}
}

// loadKeys reads one identity from its card, signing key and age identity
// files. An empty signingPath loads no signing key.
func loadKeys(cardPath, signingPath, agePath string, getPass func() ([]byte, error)) (*Identity, error) {
	card, err := LoadCard(cardPath)
	if err != nil {
		return nil, err
	}
	id := &Identity{Card: card}
	if signingPath != "" {
		signing, err := readSecret(signingPath, getPass)
		if err != nil {
			return nil, err
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(bytes.TrimSpace(signing)); err != nil {
			return nil, fmt.Errorf("%s: not a private JWK: %w", signingPath, err)
		}
		priv, ok := jwk.Key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: not a private Ed25519 JWK", signingPath)
		}
		if !priv.Public().(ed25519.PublicKey).Equal(card.PublicKey()) {
			return nil, fmt.Errorf("%s does not match the signing key on %s", signingPath, cardPath)
		}
		id.Signing = priv
	}
	ageData, err := readSecret(agePath, getPass)
	if err != nil {
		return nil, err
	}
	if err := id.parseAge(agePath, ageData); err != nil {
		return nil, err
	}
	return id, nil
}

// parseAge reads an age-keygen style identity file holding one identity of
// the card's kind, and checks it matches the card's recipient.
func (id *Identity) parseAge(path string, data []byte) error {
	var line string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if line != "" {
			return fmt.Errorf("%s: holds more than one identity", path)
		}
		line = l
	}
	var recipient string
	switch {
	case strings.HasPrefix(line, "AGE-SECRET-KEY-PQ-1"):
		k, err := age.ParseHybridIdentity(line)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		id.Age, id.ageText, recipient = k, line, k.Recipient().String()
	case strings.HasPrefix(line, "AGE-SECRET-KEY-1"):
		k, err := age.ParseX25519Identity(line)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		id.Age, id.ageText, recipient = k, line, k.Recipient().String()
	default:
		return fmt.Errorf("%s: no age identity in it", path)
	}
	if recipient != id.Card.AgeRecipient {
		return fmt.Errorf("%s does not match the age recipient on the member card", path)
	}
	return nil
}

// readSecret reads a secret key file, refusing one that others can read, and
// decrypts it if it is an armored age file.
func readSecret(path string, passphrase func() ([]byte, error)) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open secret key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open secret key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, &PermissionError{Path: path, Mode: st.Mode().Perm()}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxSecretFile {
		return nil, fmt.Errorf("%s is over %d bytes: not a casenode key file", path, maxSecretFile)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte(armor.Header)) {
		return data, nil
	}
	pass, err := passphrase()
	if err != nil {
		return nil, err
	}
	si, err := age.NewScryptIdentity(string(pass))
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(data)), si)
	if err != nil {
		return nil, &WrongPassphraseError{Path: path, Err: err}
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxSecretFile))
	if err != nil {
		return nil, &WrongPassphraseError{Path: path, Err: err}
	}
	return plain, nil
}

// PermissionError reports a secret key file that others may read.
type PermissionError struct {
	Path string
	Mode fs.FileMode
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("secret key %s has mode %#o: group and others must not have access", e.Path, e.Mode)
}

// Hint tells the user how to fix it.
func (e *PermissionError) Hint() string { return "run: chmod 600 " + e.Path }

// WrongPassphraseError reports an encrypted key file the passphrase does not
// open.
type WrongPassphraseError struct {
	Path string
	Err  error
}

func (e *WrongPassphraseError) Error() string {
	return fmt.Sprintf("cannot decrypt %s: wrong passphrase?", e.Path)
}

func (e *WrongPassphraseError) Unwrap() error { return e.Err }

// Hint tells the user where the passphrase comes from.
func (e *WrongPassphraseError) Hint() string {
	return "the passphrase is read from $CASENODE_PASSPHRASE, from stdin with --passphrase-stdin, or from a prompt on the terminal"
}

// LoadCard reads and validates a member card file.
func LoadCard(path string) (*protocol.MemberCard, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open member card: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, protocol.MaxCardSize+1))
	if err != nil {
		return nil, fmt.Errorf("read member card %s: %w", path, err)
	}
	c, err := protocol.ParseMemberCard(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
