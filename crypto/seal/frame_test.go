package seal

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/casenode/casenode/protocol"
)

// rawFrame builds a frame's bytes by hand: the magic, a declared header
// length, then body bytes (header, signature, age file) as given.
func rawFrame(declared int, body int) []byte {
	b := append([]byte{}, frameMagic[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(declared))
	return append(b, bytes.Repeat([]byte{'x'}, body)...)
}

// TestDecodeFrameLimits holds decodeFrame to its limits at their exact
// boundaries: a header of 1 to MaxHeaderSize bytes, then a signature and
// an age file of at least one byte.
func TestDecodeFrameLimits(t *testing.T) {
	sig := ed25519.SignatureSize
	max := protocol.MaxHeaderSize
	cases := []struct {
		name string
		raw  []byte
		want string // "" for a frame that decodes
	}{
		{"smallest frame", rawFrame(1, 1+sig+1), ""},
		{"largest header", rawFrame(max, max+sig+1), ""},
		{"header length 0", rawFrame(0, sig+1), "not within 1 to"},
		{"header one over the limit", rawFrame(max+1, max+1+sig+1), "not within 1 to"},
		{"no age file", rawFrame(1, 1+sig), "too short"},
		{"signature cut", rawFrame(5, 5+sig-1), "too short"},
		{"header cut", rawFrame(100, 99), "too short"},
		{"another magic", append([]byte{0x00, 'c', 'n', 0x03}, rawFrame(1, 1+sig+1)[4:]...), "not a version 2 frame"},
		{"shorter than the fixed bytes", rawFrame(1, sig-1), "not a version 2 frame"},
	}
	for _, c := range cases {
		f, err := decodeFrame(c.raw)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && (len(f.header) != int(binary.BigEndian.Uint16(c.raw[4:])) || len(f.signature) != sig || len(f.ciphertext) < 1):
			t.Errorf("%s: cut into %d, %d, %d bytes", c.name, len(f.header), len(f.signature), len(f.ciphertext))
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

// TestEncodeFrameLimits: encode refuses what decodeFrame would refuse, and
// what it writes decodes to the same parts.
func TestEncodeFrameLimits(t *testing.T) {
	sig := bytes.Repeat([]byte{1}, ed25519.SignatureSize)
	max := protocol.MaxHeaderSize
	good := &frame{header: bytes.Repeat([]byte{'h'}, max), signature: sig, ciphertext: []byte{2}}
	b, err := good.encode()
	if err != nil {
		t.Fatalf("a header of the largest size: %v", err)
	}
	back, err := decodeFrame(b)
	if err != nil || !bytes.Equal(back.header, good.header) || !bytes.Equal(back.signature, sig) || !bytes.Equal(back.ciphertext, []byte{2}) {
		t.Fatalf("round trip: %v", err)
	}
	for name, f := range map[string]*frame{
		"empty header":    {header: nil, signature: sig, ciphertext: []byte{2}},
		"header over":     {header: bytes.Repeat([]byte{'h'}, max+1), signature: sig, ciphertext: []byte{2}},
		"short signature": {header: []byte{'h'}, signature: sig[1:], ciphertext: []byte{2}},
		"long signature":  {header: []byte{'h'}, signature: append(sig, 0), ciphertext: []byte{2}},
		"no age file":     {header: []byte{'h'}, signature: sig, ciphertext: nil},
	} {
		if _, err := f.encode(); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}
