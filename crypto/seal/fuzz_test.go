package seal

import (
	"bytes"
	"testing"

	"github.com/casenode/casenode/protocol"
)

// FuzzParse: Parse never panics, and a message it accepts re-serializes to
// the same bytes.
func FuzzParse(f *testing.F) {
	for _, kind := range kinds() {
		for _, v := range versions() {
			net := testNetwork(f, kind).withVersion(v)
			f.Add(net.sealTo(f, 0, 1).Raw)
			f.Add(net.sealTo(f, 2, 1, 3, 4).Raw)
		}
	}
	f.Add(append(frameMagic[:], 0, 2, '{', '}'))
	f.Add([]byte("e30.e30.e30"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, p, err := Parse(raw)
		if err != nil {
			if ReasonOf(err) == "" {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		if !bytes.Equal(reencode(t, env, p), raw) {
			t.Fatal("parse → marshal is not byte-identical")
		}
		if err := env.Header.Validate(); err != nil {
			t.Fatalf("accepted an invalid header: %v", err)
		}
	})
}

// FuzzOpen: Open never panics, every failure carries a reason, what it
// accepts has a valid body, and Parse + OpenParsed does exactly as Open.
func FuzzOpen(f *testing.F) {
	net := testNetwork(f, protocol.KindClassic)
	for _, v := range versions() {
		n := net.withVersion(v)
		f.Add(n.sealTo(f, 0, 1).Raw)
		f.Add(n.sealTo(f, 0, 1, 2).Raw)
		f.Add(n.sealTo(f, 1, 0).Raw)
	}
	keys := net.keys()
	f.Fuzz(func(t *testing.T, raw []byte) {
		openBothWays(t, raw, net, 1, keys, VerifyOptions{Now: now})
		o, err := Open(raw, net.ids[1], keys, VerifyOptions{Now: now})
		if err != nil {
			if ReasonOf(err) == "" {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		if err := protocol.ValidateBody(o.Header.MsgType, o.Body); err != nil {
			t.Fatalf("accepted an invalid body: %v", err)
		}
	})
}

// FuzzDecodeFrame: the version 2 frame decoder never panics, takes no more
// than its parts, and a frame it accepts encodes back to the same bytes.
func FuzzDecodeFrame(f *testing.F) {
	for _, kind := range kinds() {
		net := testNetwork(f, kind).withVersion(protocol.FormatVersion2)
		f.Add(net.sealTo(f, 0, 1).Raw)
	}
	f.Add(append(frameMagic[:], 0, 1, '{'))
	f.Add(append(frameMagic[:], 0xff, 0xff))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		fr, err := decodeFrame(raw)
		if err != nil {
			return
		}
		if len(fr.header) == 0 || len(fr.header) > protocol.MaxHeaderSize || len(fr.signature) != 64 || len(fr.ciphertext) == 0 {
			t.Fatalf("accepted parts of %d, %d, %d bytes", len(fr.header), len(fr.signature), len(fr.ciphertext))
		}
		out, err := fr.encode()
		if err != nil || !bytes.Equal(out, raw) {
			t.Fatalf("decode → encode is not byte-identical (%v)", err)
		}
	})
}
