package witness

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/note"
)

// cosignHeader is the first line of the message an Ed25519 cosignature/v1
// signs: it separates cosignatures from every other use of the key.
const cosignHeader = "cosignature/v1\n"

// sigSize is the size of a cosignature/v1 signature: an 8-byte big-endian
// timestamp and an Ed25519 signature.
const sigSize = 8 + ed25519.SignatureSize

// cosignedMessage is what a cosignature of the note text at time ts (POSIX
// seconds) signs: "cosignature/v1", "time <ts>", then the note's text.
func cosignedMessage(text []byte, ts uint64) []byte {
	msg := make([]byte, 0, len(cosignHeader)+32+len(text))
	msg = append(msg, cosignHeader...)
	msg = append(msg, "time "...)
	msg = strconv.AppendUint(msg, ts, 10)
	msg = append(msg, '\n')
	return append(msg, text...)
}

// Cosigner holds a witness's Ed25519 key and name. Its zero value is not
// usable: make one with NewCosigner.
type Cosigner struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

// NewCosigner returns the cosigner name over key.
func NewCosigner(name string, key ed25519.PrivateKey) (*Cosigner, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("witness key is %d bytes, not %d", len(key), ed25519.PrivateKeySize)
	}
	pub := key.Public().(ed25519.PublicKey)
	vkey := protocol.WitnessKey(name, pub)
	if _, _, err := protocol.ParseWitnessKey(vkey); err != nil {
		return nil, err
	}
	return &Cosigner{name: name, hash: protocol.CosignatureKeyHash(name, pub), key: key}, nil
}

// Name returns the cosigner's name.
func (c *Cosigner) Name() string { return c.name }

// VerifierKey returns the cosigner's verifier key, as a roster lists it.
func (c *Cosigner) VerifierKey() string {
	return protocol.WitnessKey(c.name, c.key.Public().(ed25519.PublicKey))
}

// Cosign returns the signature line of a cosignature of the checkpoint
// whose note text (without signature lines) is text, at time t: "— <name>
// <base64 of key hash ‖ timestamp ‖ signature>" and a newline. Appended to
// the signed checkpoint, it makes the cosigned checkpoint.
func (c *Cosigner) Cosign(text []byte, t time.Time) []byte {
	ts := uint64(max(t.Unix(), 1))
	sig := ed25519.Sign(c.key, cosignedMessage(text, ts))
	raw := make([]byte, 4, 4+sigSize)
	binary.BigEndian.PutUint32(raw, c.hash)
	raw = binary.BigEndian.AppendUint64(raw, ts)
	raw = append(raw, sig...)
	return []byte("— " + c.name + " " + base64.StdEncoding.EncodeToString(raw) + "\n")
}

var _ note.Verifier = (*Verifier)(nil)

// Verifier checks the cosignatures of one witness key. It is a
// note.Verifier, so that note.Open checks cosigned checkpoints.
type Verifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

// NewVerifier returns the verifier of a witness verifier key
// (protocol.WitnessKey).
func NewVerifier(vkey string) (*Verifier, error) {
	name, pub, err := protocol.ParseWitnessKey(vkey)
	if err != nil {
		return nil, err
	}
	return &Verifier{name: name, hash: protocol.CosignatureKeyHash(name, pub), pub: pub}, nil
}

// Name returns the witness's name.
func (v *Verifier) Name() string { return v.name }

// KeyHash returns the key hash of the witness key.
func (v *Verifier) KeyHash() uint32 { return v.hash }

// Verify reports whether sig is a cosignature of msg, a note's text, by
// this key.
func (v *Verifier) Verify(msg, sig []byte) bool {
	if len(sig) != sigSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	if ts > 1<<63-1 {
		return false
	}
	return ed25519.Verify(v.pub, cosignedMessage(msg, ts), sig[8:])
}

// Time returns the time of a cosignature that Verify accepted.
func Time(sig []byte) time.Time {
	if len(sig) != sigSize {
		return time.Time{}
	}
	return time.Unix(int64(binary.BigEndian.Uint64(sig[:8])), 0).UTC()
}

// Verifiers returns the verifiers of the witness keys of a roster.
func Verifiers(vkeys []string) ([]*Verifier, error) {
	var out []*Verifier
	for _, k := range vkeys {
		v, err := NewVerifier(k)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Cosignature is one witness's verified cosignature of a checkpoint.
type Cosignature struct {
	// Witness is the witness's name.
	Witness string
	// Time is when the witness cosigned.
	Time time.Time
	// Line is the signature line, newline included.
	Line []byte
}

// ErrCosignature reports a cosignature line that names a known witness key
// but does not verify: a forgery or a corrupted note.
var ErrCosignature = errors.New("a cosignature by a known witness key does not verify")

// CheckCosigned opens a cosigned checkpoint, a signed checkpoint followed by
// cosignature lines, with the witness keys known: it returns the
// cosignatures of known witnesses, each verified, and the signatures of
// unknown keys (the log's own among them), which it does not judge. A line
// that names a known key and fails to verify is ErrCosignature.
func CheckCosigned(signed []byte, known []*Verifier) (cosigs []Cosignature, unknown []note.Signature, err error) {
	if len(signed) > MaxCheckpointSize {
		return nil, nil, fmt.Errorf("cosigned checkpoint is %d bytes, over the limit of %d", len(signed), MaxCheckpointSize)
	}
	list := make([]note.Verifier, len(known))
	for i, v := range known {
		list[i] = v
	}
	n, err := note.Open(signed, note.VerifierList(list...))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, unverified.Note.UnverifiedSigs, nil
	case errors.As(err, &invalid):
		return nil, nil, fmt.Errorf("%w: %s+%08x", ErrCosignature, invalid.Name, invalid.Hash)
	case err != nil:
		return nil, nil, fmt.Errorf("cosigned checkpoint: %w", err)
	}
	for _, s := range n.Sigs {
		raw, _ := base64.StdEncoding.DecodeString(s.Base64)
		cosigs = append(cosigs, Cosignature{Witness: s.Name, Time: Time(raw[4:]), Line: []byte("— " + s.Name + " " + s.Base64 + "\n")})
	}
	return cosigs, n.UnverifiedSigs, nil
}
