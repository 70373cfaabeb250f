package seal

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/casenode/casenode/protocol"
)

// positions returns every index in [lo, hi) when the region is short, and
// otherwise every index of its first and last 64 bytes plus a dense sample
// of about 256 evenly spread positions between them.
func positions(lo, hi int) []int {
	var out []int
	if hi-lo <= 384 {
		for i := lo; i < hi; i++ {
			out = append(out, i)
		}
		return out
	}
	for i := lo; i < lo+64; i++ {
		out = append(out, i)
	}
	step := (hi - lo - 128) / 256
	for i := lo + 64; i < hi-64; i += step {
		out = append(out, i)
	}
	for i := hi - 64; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// TestTamperEveryRegion flips bits across every region of a sealed message —
// the protected header, the ciphertext, the signature and the separators —
// and asserts that every flip is rejected.
func TestTamperEveryRegion(t *testing.T) {
	for _, kind := range kinds() {
		for _, v := range versions() {
			t.Run(fmt.Sprintf("%s/v%d", kind, v), func(t *testing.T) {
				t.Parallel()
				net := testNetwork(t, kind).withVersion(v)
				raw := net.sealTo(t, 0, 1).Raw
				keys := net.keys()
				regions := regionsOf(t, raw)
				flips := 0
				for name, r := range regions {
					for _, i := range positions(r[0], r[1]) {
						for _, bit := range []byte{0x01, 0x20} {
							m := bytes.Clone(raw)
							m[i] ^= bit
							flips++
							if _, err := Open(m, net.ids[1], keys, VerifyOptions{Now: now}); err == nil {
								t.Fatalf("%s: flip of bit %#x at byte %d of %d accepted", name, bit, i, len(raw))
							} else if ReasonOf(err) == "" {
								t.Fatalf("%s: flip at %d: error without a reason: %v", name, i, err)
							}
						}
					}
				}
				if flips < 1000 {
					t.Fatalf("only %d flips tried", flips)
				}
			})
		}
	}
}

// regionsOf returns the byte ranges of each part of a sealed message.
func regionsOf(t *testing.T, raw []byte) map[string][2]int {
	t.Helper()
	if isFrame(raw) {
		f, err := decodeFrame(raw)
		if err != nil {
			t.Fatal(err)
		}
		h := frameMagicLen + frameHeaderLen
		s := h + len(f.header)
		c := s + len(f.signature)
		return map[string][2]int{
			"magic":         {0, frameMagicLen},
			"header length": {frameMagicLen, h},
			"header":        {h, s},
			"signature":     {s, c},
			"ciphertext":    {c, len(raw)},
		}
	}
	d1 := bytes.IndexByte(raw, '.')
	d2 := d1 + 1 + bytes.IndexByte(raw[d1+1:], '.')
	return map[string][2]int{
		"header":     {0, d1},
		"dot 1":      {d1, d1 + 1},
		"ciphertext": {d1 + 1, d2},
		"dot 2":      {d2, d2 + 1},
		"signature":  {d2 + 1, len(raw)},
	}
}

// TestTamperInsideSignature models a sender-authentic message whose content
// was altered before signing: the ciphertext and the header are changed and
// the outer JWS re-signed by the sender's own key. Opening must still fail:
// age authenticates the ciphertext, and the inner signature binds the header.
func TestTamperInsideSignature(t *testing.T) {
	for _, v := range versions() {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			t.Parallel()
			tamperInsideSignature(t, testNetwork(t, protocol.KindClassic).withVersion(v))
		})
	}
}

func tamperInsideSignature(t *testing.T, net *network) {
	orig := net.sealTo(t, 0, 1)
	env, _, err := Parse(orig.Raw)
	if err != nil {
		t.Fatal(err)
	}
	ct := env.Ciphertext
	// The age header (stanzas and MAC) in full, then the nonce and the
	// payload sampled.
	hdrEnd := bytes.Index(ct, []byte("\n---")) + 48
	idx := positions(0, hdrEnd)
	for i := hdrEnd; i < len(ct); i += 13 {
		idx = append(idx, i)
	}
	for _, i := range idx {
		c := bytes.Clone(ct)
		c[i] ^= 0x01
		raw := resign(t, net.ids[0].Signing, orig.Header, c)
		_, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: now})
		if err == nil {
			t.Fatalf("ciphertext flip at %d of %d accepted", i, len(ct))
		}
		if r := ReasonOf(err); r != protocol.ReasonUndecryptable && r != protocol.ReasonMalformed {
			t.Fatalf("ciphertext flip at %d: reason %q (%v)", i, r, err)
		}
	}
	// Each bound header field.
	alter := map[string]func(h *protocol.Header){
		"case":    func(h *protocol.Header) { h.Case = "case-other" },
		"msgtype": func(h *protocol.Header) { h.MsgType = protocol.TypeRequest },
		"id":      func(h *protocol.Header) { h.ID = protocol.NewMessageID(now) },
		"created": func(h *protocol.Header) { h.Created = protocol.NewTime(now.Add(-1e9)) },
		"to":      func(h *protocol.Header) { h.To = []string{"a01", "a02"} },
	}
	for name, f := range alter {
		h := *orig.Header
		f(&h)
		raw := resign(t, net.ids[0].Signing, &h, ct)
		_, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: now})
		if ReasonOf(err) != protocol.ReasonMismatch {
			t.Fatalf("altered %s: got %v, want mismatch", name, err)
		}
	}
}
