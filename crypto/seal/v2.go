package seal

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/protocol"
)

// sealV2 signs inner with a detached signature, encrypts signature and
// inner to cards only (the sender opens its own messages with a derived
// file key, agefile.go), signs the ciphertext with a detached signature
// under h and frames the three: a version 2 message.
func (s *Sealer) sealV2(h *protocol.Header, cards []*protocol.MemberCard, inner []byte) ([]byte, error) {
	sender := s.sender
	prot, innerSig, err := jws.SignDetached(sender.Signing, protocol.BodyJWSType, nil, inner)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	// The reader rebuilds the inner protected header from the outer kid: it
	// must be what was signed.
	if want, err := bodyProtected(h.Kid); err != nil || !bytes.Equal(prot, want) {
		return nil, fmt.Errorf("seal: the signed body's protected header is not the one a reader rebuilds")
	}
	recipients, err := s.recipients(cards)
	if err != nil {
		return nil, err
	}
	secret, err := senderSecret(sender.Age)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	plain := make([]byte, 0, ed25519.SignatureSize+len(inner))
	plain = append(append(plain, innerSig...), inner...)
	ct, err := encryptToRecipients(secret, recipients, plain)
	if err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	header, sig, err := jws.SignDetached(sender.Signing, protocol.MessageJWSType, h.Fields(), ct)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return (&frame{header: header, signature: sig, ciphertext: ct}).encode()
}

// parseV2 is Parse for a version 2 frame: its form, the outer header as a
// detached JWS's protected header, version 2.
func parseV2(raw []byte) (*Envelope, *jws.Parsed, error) {
	f, err := decodeFrame(raw)
	if err != nil {
		return nil, nil, reject(protocol.ReasonMalformed, "%v", err)
	}
	p, err := jws.ParseDetached(f.header, f.ciphertext, f.signature, protocol.MessageJWSType, protocol.MaxMessageSize)
	if err != nil {
		return nil, nil, reject(protocol.ReasonMalformed, "%v", err)
	}
	h, err := parseHeader(p, protocol.FormatVersion2)
	if err != nil {
		return nil, nil, err
	}
	return &Envelope{Raw: raw, Header: h, Ciphertext: p.Payload}, p, nil
}

// parseHeader decodes and checks the protected header of p, which must be
// of version v: each framing carries its own version only.
func parseHeader(p *jws.Parsed, v int) (*protocol.Header, error) {
	h, err := protocol.ParseHeader(p.Protected)
	if err != nil {
		var ve *protocol.VersionError
		if errors.As(err, &ve) {
			return nil, reject(protocol.ReasonUnsupportedVersion, "%v", err)
		}
		return nil, reject(protocol.ReasonMalformed, "%v", err)
	}
	if h.V != v {
		return nil, reject(protocol.ReasonMalformed, "a version %d header in a version %d message", h.V, v)
	}
	if h.Kid != p.KeyID {
		return nil, reject(protocol.ReasonMalformed, "header kid differs from the JWS kid")
	}
	if len(p.Payload) == 0 {
		return nil, reject(protocol.ReasonMalformed, "no ciphertext")
	}
	return h, nil
}

// innerV2 decrypts a version 2 message's age file for me, as a recipient
// or as its sender, and returns the inner signature over the signed body
// as a parsed detached JWS under the rebuilt protected header.
func innerV2(env *Envelope, me *identity.Identity) (*jws.Parsed, error) {
	h := env.Header
	var plain []byte
	var err error
	if h.From == me.Agency() {
		plain, err = decryptAsSender(env.Ciphertext, ed25519.SignatureSize+protocol.MaxInnerSize, me.AgeIdentities()...)
	} else {
		plain, err = decrypt(env.Ciphertext, ed25519.SignatureSize+protocol.MaxInnerSize, me.AgeIdentities()...)
	}
	if errors.Is(err, errTooLarge) {
		return nil, reject(protocol.ReasonOversized, "signed body is over %d bytes", protocol.MaxInnerSize)
	}
	if err != nil {
		return nil, reject(protocol.ReasonUndecryptable, "decrypt: %v", err)
	}
	if len(plain) <= ed25519.SignatureSize {
		return nil, reject(protocol.ReasonBadInnerSignature, "signed body: %d bytes, too short for a signature and a body", len(plain))
	}
	prot, err := bodyProtected(h.Kid)
	if err != nil {
		return nil, reject(protocol.ReasonMalformed, "header kid: %v", err)
	}
	p, err := jws.ParseDetached(prot, plain[ed25519.SignatureSize:], plain[:ed25519.SignatureSize], protocol.BodyJWSType, protocol.MaxInnerSize)
	if err != nil {
		return nil, reject(protocol.ReasonBadInnerSignature, "signed body: %v", err)
	}
	return p, nil
}
