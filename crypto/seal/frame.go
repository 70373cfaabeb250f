package seal

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"

	"github.com/casenode/casenode/protocol"
)

// The version 2 frame of a sealed message (docs/PROTOCOL.md §9): the outer
// JWS of version 1 with its parts as raw bytes instead of base64url, the
// signature detached (RFC 7515, appendix F) and unchanged.
//
//	frame = magic(4) | header length (2, big-endian) | header | signature (64) | age file
//
// The magic starts with a zero byte, which no version 1 message (a compact
// JWS, base64url text) can start with, so one byte tells the versions
// apart.
var frameMagic = [4]byte{0x00, 'c', 'n', 0x02}

const (
	frameMagicLen  = len(frameMagic)
	frameHeaderLen = 2
	// frameOverhead is the frame's fixed bytes around the header and the
	// age file.
	frameOverhead = frameMagicLen + frameHeaderLen + ed25519.SignatureSize
)

// isFrame reports whether raw starts like a version 2 frame.
func isFrame(raw []byte) bool { return len(raw) > 0 && raw[0] == frameMagic[0] }

// frame is a version 2 message cut into its parts. The slices alias the
// message's bytes.
type frame struct {
	header     []byte // the outer JWS protected header, canonical JSON
	signature  []byte // the outer signature, 64 bytes
	ciphertext []byte // the age file
}

// decodeFrame cuts raw into its parts, strictly: the magic, a header length
// from 1 to protocol.MaxHeaderSize, a signature and a non-empty age file.
// The caller checks the size of raw first.
func decodeFrame(raw []byte) (*frame, error) {
	if len(raw) < frameOverhead || !bytes.Equal(raw[:frameMagicLen], frameMagic[:]) {
		return nil, fmt.Errorf("not a version 2 frame")
	}
	n := int(binary.BigEndian.Uint16(raw[frameMagicLen:]))
	if n == 0 || n > protocol.MaxHeaderSize {
		return nil, fmt.Errorf("frame header length %d is not within 1 to %d", n, protocol.MaxHeaderSize)
	}
	rest := raw[frameMagicLen+frameHeaderLen:]
	if len(rest) < n+ed25519.SignatureSize+1 {
		return nil, fmt.Errorf("frame is %d bytes, too short for a %d-byte header, a signature and an age file", len(raw), n)
	}
	return &frame{
		header:     rest[:n:n],
		signature:  rest[n : n+ed25519.SignatureSize : n+ed25519.SignatureSize],
		ciphertext: rest[n+ed25519.SignatureSize:],
	}, nil
}

// encode returns the frame's bytes.
func (f *frame) encode() ([]byte, error) {
	if len(f.header) == 0 || len(f.header) > protocol.MaxHeaderSize {
		return nil, fmt.Errorf("frame header is %d bytes, not within 1 to %d", len(f.header), protocol.MaxHeaderSize)
	}
	if len(f.signature) != ed25519.SignatureSize || len(f.ciphertext) == 0 {
		return nil, fmt.Errorf("frame needs a %d-byte signature and an age file", ed25519.SignatureSize)
	}
	out := make([]byte, 0, frameOverhead+len(f.header)+len(f.ciphertext))
	out = append(out, frameMagic[:]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(f.header)))
	out = append(out, f.header...)
	out = append(out, f.signature...)
	return append(out, f.ciphertext...), nil
}

// The plaintext of a version 2 age file is the inner signature followed by
// the signed body it covers:
//
//	inner = signature (64) | signed body (canonical JSON)
//
// The inner JWS's protected header is not carried: it is always
// {"alg":"EdDSA","kid":KID,"typ":"casenode-body+jws"} with the outer
// header's kid, and the reader rebuilds it (bodyProtected).

// bodyProtected returns the inner JWS protected header for the signing key
// kid, as jws.Sign writes it.
func bodyProtected(kid string) ([]byte, error) {
	return protocol.Marshal(&struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{"EdDSA", kid, protocol.BodyJWSType})
}
