package auditlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// algEd25519 is the signed-note signature algorithm byte for Ed25519
// (C2SP signed-note): it prefixes the public key in the key hash.
const algEd25519 = 0x01

var _ note.Signer = (*noteSigner)(nil)

// noteSigner signs notes with an agency's Ed25519 key under the log's
// origin.
type noteSigner struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

// newNoteSigner returns a note.Signer named name (the log's origin) over key.
func newNoteSigner(name string, key ed25519.PrivateKey) (*noteSigner, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("checkpoint signer: private key is %d bytes, not %d", len(key), ed25519.PrivateKeySize)
	}
	pub := key.Public().(ed25519.PublicKey)
	return &noteSigner{name: name, hash: KeyHash(name, pub), key: key}, nil
}

func (s *noteSigner) Name() string                    { return s.name }
func (s *noteSigner) KeyHash() uint32                 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// KeyHash returns the signed-note key hash of an Ed25519 key under name:
// the first four bytes, big-endian, of SHA-256(name ‖ "\n" ‖ 0x01 ‖ key).
func KeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algEd25519})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// NewVerifier returns the note verifier of an Ed25519 key under name (the
// log's origin).
func NewVerifier(name string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, fmt.Errorf("checkpoint verifier: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint verifier %q: %w", name, err)
	}
	return v, nil
}
