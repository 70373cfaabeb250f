// Package jws signs and verifies casenode's JSON Web Signatures (RFC 7515):
// compact serialization, EdDSA over Ed25519 only (RFC 8037), the signer named
// by the RFC 7638 thumbprint of its key in the protected "kid" header.
//
// go-jose does the signing and the verification. This package adds what a
// protocol needs on top: one canonical encoding (strict base64url, a
// protected header with sorted keys and no white space), an explicit
// algorithm allow-list, refusal of every header that could smuggle a key in
// (jwk, jku, x5c, x5u) or change how the payload is read (crit, b64), and key
// look-up by kid from the caller's trusted keys, never from the message.
package jws

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"
)

// strict is base64url without padding that also rejects non-zero trailing
// bits, so that every byte string has exactly one encoding.
var strict = base64.RawURLEncoding.Strict()

// allowed is the algorithm allow-list passed to go-jose.
func allowed() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{jose.EdDSA} }

// forbidden are protected header parameters casenode never accepts.
func forbidden(name string) bool {
	switch name {
	case "jwk", "jku", "x5c", "x5u", "x5t", "x5t#S256", "crit", "b64", "zip", "enc":
		return true
	}
	return false
}

var (
	// ErrMalformed reports a JWS that is not in casenode's canonical compact
	// form.
	ErrMalformed = errors.New("malformed JWS")
	// ErrBadSignature reports a signature that does not verify.
	ErrBadSignature = errors.New("signature does not verify")
)

// Sign returns the compact JWS of payload signed by key. The protected header
// holds alg, kid, typ and the extra fields given, all as one JSON object with
// sorted keys. Extra fields must not reuse those three names.
//
// It builds the compact form itself (RFC 7515 §7.1: the signing input is
// B64(protected) "." B64(payload), the signature Ed25519 over it, RFC 8037
// §3.1) rather than through go-jose's signer, which encoded the header,
// the payload and the signature through maps and strings several times
// over (14% of the bytes fan-in allocated). Ed25519 signatures are
// deterministic, so the bytes are the very ones go-jose's signer returns
// (a test compares them); verification still goes through go-jose.
func Sign(key ed25519.PrivateKey, typ string, extra map[string]any, payload []byte) ([]byte, error) {
	protected, err := protectedHeader(key, typ, extra)
	if err != nil {
		return nil, err
	}
	out := signingInput(protected, payload, 1+strict.EncodedLen(ed25519.SignatureSize))
	sig := ed25519.Sign(key, out)
	out = append(out, '.')
	return strict.AppendEncode(out, sig), nil
}

// signingInput returns B64(protected) "." B64(payload), with room for
// spare more bytes.
func signingInput(protected, payload []byte, spare int) []byte {
	head := strict.EncodedLen(len(protected))
	n := head + 1 + strict.EncodedLen(len(payload))
	out := make([]byte, n, n+spare)
	strict.Encode(out, protected)
	out[head] = '.'
	strict.Encode(out[head+1:], payload)
	return out
}

// protectedHeader returns the protected header Sign signs with key: alg,
// kid and typ with the extra fields, as JSON with sorted keys and no white
// space (a map's keys are sorted), the canonical form Parse requires. It
// is encoded with go-jose's own JSON package, as its signer encodes it:
// that escapes control characters as encoding/json did before Go 1.22
// (\u000c, not \f), and Parse accepts both.
func protectedHeader(key ed25519.PrivateKey, typ string, extra map[string]any) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("sign: not an Ed25519 private key")
	}
	pub, ok := key.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("sign: not an Ed25519 private key")
	}
	h := make(map[string]any, len(extra)+3)
	for k, v := range extra {
		if k == "alg" || k == "kid" || k == "typ" || forbidden(k) {
			return nil, fmt.Errorf("sign: header field %q is reserved", k)
		}
		h[k] = v
	}
	h["alg"], h["kid"], h["typ"] = string(jose.EdDSA), protocol.KeyID(pub), typ
	protected, err := josejson.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return protected, nil
}

// Parsed is a JWS whose form has been checked but whose signature has not.
type Parsed struct {
	// Protected is the decoded protected header, canonical JSON.
	Protected []byte
	// Payload is the decoded payload. It is not to be trusted before Verify.
	Payload []byte
	// KeyID is the kid of the protected header.
	KeyID string
	// Type is the typ of the protected header.
	Type string
	// Signature is the decoded signature.
	Signature []byte

	obj *jose.JSONWebSignature
}

// Parse checks that compact is a canonical compact JWS of at most limit
// bytes, signed with EdDSA, with a typ equal to typ and a kid, and no
// forbidden header. It does not verify the signature.
func Parse(compact []byte, typ string, limit int) (*Parsed, error) {
	if len(compact) > limit {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrMalformed, len(compact), limit)
	}
	parts := bytes.Split(compact, []byte{'.'})
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: want 3 dot-separated parts, found %d", ErrMalformed, len(parts))
	}
	var dec [3][]byte
	for i, p := range parts {
		b, err := strict.DecodeString(string(p))
		if err != nil || len(p) == 0 && i != 1 {
			return nil, fmt.Errorf("%w: part %d is not canonical base64url", ErrMalformed, i+1)
		}
		dec[i] = b
	}
	protected := dec[0]
	kid, err := checkProtected(protected, typ)
	if err != nil {
		return nil, err
	}
	if len(dec[2]) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes, want %d", ErrMalformed, len(dec[2]), ed25519.SignatureSize)
	}
	obj, err := jose.ParseSignedCompact(string(compact), allowed())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &Parsed{Protected: protected, Payload: dec[1], KeyID: kid, Type: typ, Signature: dec[2], obj: obj}, nil
}

// checkProtected checks a decoded protected header: canonical JSON, no
// forbidden field, alg EdDSA, typ equal to typ and a kid, which it returns.
func checkProtected(protected []byte, typ string) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(protected, &fields); err != nil {
		return "", fmt.Errorf("%w: protected header: %v", ErrMalformed, err)
	}
	canon, err := json.Marshal(fields)
	if err != nil || !bytes.Equal(canon, protected) {
		return "", fmt.Errorf("%w: protected header is not canonical JSON (sorted keys, no white space, no duplicates)", ErrMalformed)
	}
	for name := range fields {
		if forbidden(name) {
			return "", fmt.Errorf("%w: protected header field %q is not allowed", ErrMalformed, name)
		}
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}
	if err := json.Unmarshal(protected, &h); err != nil {
		return "", fmt.Errorf("%w: protected header: %v", ErrMalformed, err)
	}
	if h.Alg != string(jose.EdDSA) {
		return "", fmt.Errorf("%w: alg %q is not allowed (only EdDSA)", ErrMalformed, h.Alg)
	}
	if h.Typ != typ {
		return "", fmt.Errorf("%w: typ is %q, want %q", ErrMalformed, h.Typ, typ)
	}
	if h.Kid == "" {
		return "", fmt.Errorf("%w: no kid in the protected header", ErrMalformed)
	}
	return h.Kid, nil
}

// Verify checks the signature with pub, which the caller looked up by
// p.KeyID in its own trusted keys.
func (p *Parsed) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: no valid key", ErrBadSignature)
	}
	if protocol.KeyID(pub) != p.KeyID {
		return fmt.Errorf("%w: key is not %s", ErrBadSignature, p.KeyID)
	}
	payload, err := p.obj.Verify(pub)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if !bytes.Equal(payload, p.Payload) {
		return fmt.Errorf("%w: payload differs", ErrBadSignature)
	}
	return nil
}

// Verify parses and verifies compact in one step, looking the signer's key
// up with key. It returns the verified payload and the signer's kid.
func Verify(compact []byte, typ string, limit int, key func(kid string) (ed25519.PublicKey, error)) (payload []byte, kid string, err error) {
	p, err := Parse(compact, typ, limit)
	if err != nil {
		return nil, "", err
	}
	pub, err := key(p.KeyID)
	if err != nil {
		return nil, p.KeyID, err
	}
	if err := p.Verify(pub); err != nil {
		return nil, p.KeyID, err
	}
	return p.Payload, p.KeyID, nil
}

// Marshal returns the compact serialization of p. For a JWS that Parse
// accepted it is byte-identical to the input.
func (p *Parsed) Marshal() []byte {
	var b bytes.Buffer
	for i, part := range [][]byte{p.Protected, p.Payload, p.Signature} {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strict.EncodeToString(part))
	}
	return b.Bytes()
}
