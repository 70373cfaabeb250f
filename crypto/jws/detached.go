package jws

import (
	"crypto/ed25519"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// A detached JWS (RFC 7515, appendix F) is an ordinary JWS whose payload
// travels elsewhere: the signature covers B64(protected) "." B64(payload)
// exactly as in the compact form, so any JWS library verifies it given the
// payload (go-jose: ParseDetached). Protocol version 2 carries the
// protected header, the payload and the signature as raw bytes and
// rebuilds the signing input when it verifies; nothing in the header
// changes how the payload is read (no "b64").

// SignDetached signs payload as Sign does and returns the decoded protected
// header and the 64-byte signature, leaving the payload to the caller.
func SignDetached(key ed25519.PrivateKey, typ string, extra map[string]any, payload []byte) (protected, signature []byte, err error) {
	if protected, err = protectedHeader(key, typ, extra); err != nil {
		return nil, nil, err
	}
	return protected, ed25519.Sign(key, signingInput(protected, payload, 0)), nil
}

// ParseDetached checks a detached JWS given as its decoded parts: the
// protected header as Parse checks it (canonical, EdDSA, typ equal to typ,
// a kid, no forbidden field), a 64-byte signature, and a payload of at most
// limit bytes. It does not verify the signature; Verify on the result does,
// over the same signing input as the compact form.
func ParseDetached(protected, payload, signature []byte, typ string, limit int) (*Parsed, error) {
	if len(payload) > limit {
		return nil, fmt.Errorf("%w: payload is %d bytes, over the limit of %d", ErrMalformed, len(payload), limit)
	}
	kid, err := checkProtected(protected, typ)
	if err != nil {
		return nil, err
	}
	if len(signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes, want %d", ErrMalformed, len(signature), ed25519.SignatureSize)
	}
	if payload == nil {
		payload = []byte{}
	}
	detached := strict.EncodeToString(protected) + ".." + strict.EncodeToString(signature)
	obj, err := jose.ParseDetached(detached, payload, allowed())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &Parsed{Protected: protected, Payload: payload, KeyID: kid, Type: typ, Signature: signature, obj: obj}, nil
}

// Detached returns the detached compact serialization of p (RFC 7515,
// appendix F): B64(protected) ".." B64(signature).
func (p *Parsed) Detached() []byte {
	return []byte(strict.EncodeToString(p.Protected) + ".." + strict.EncodeToString(p.Signature))
}
