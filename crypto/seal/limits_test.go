package seal

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// paddedLead returns the example lead with white space after its first
// brace, size bytes in all.
func paddedLead(size int) []byte {
	lead := leadBody()
	return append(append([]byte{'{'}, bytes.Repeat([]byte{' '}, size-len(lead))...), lead[1:]...)
}

// TestSealBodyLimit: a body of exactly protocol.MaxBodySize bytes is sealed,
// one byte more is refused before anything else.
func TestSealBodyLimit(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	s, err := Seal(net.ids[0], net.cards[1:2], protocol.TypeLead, paddedLead(protocol.MaxBodySize), Options{Now: now})
	if err != nil {
		t.Fatalf("a body of exactly %d bytes: %v", protocol.MaxBodySize, err)
	}
	if _, err := Open(s.Raw, net.ids[1], net.keys(), VerifyOptions{Now: now}); err != nil {
		t.Fatalf("open it: %v", err)
	}
	_, err = Seal(net.ids[0], net.cards[1:2], protocol.TypeLead, paddedLead(protocol.MaxBodySize+1), Options{Now: now})
	if err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Fatalf("a body of %d bytes: %v", protocol.MaxBodySize+1, err)
	}
}

// TestParseMessageLimit: a message of exactly protocol.MaxMessageSize
// bytes is parsed (and refused as malformed, being none), one byte more is
// refused as oversized.
func TestParseMessageLimit(t *testing.T) {
	_, _, err := Parse(bytes.Repeat([]byte{'A'}, protocol.MaxMessageSize))
	wantReason(t, err, protocol.ReasonMalformed)
	_, _, err = Parse(bytes.Repeat([]byte{'A'}, protocol.MaxMessageSize+1))
	wantReason(t, err, protocol.ReasonOversized)
}

// TestOpenChecksTheNetwork: Open checks the message's network against the
// one the caller names, or else against the opener's own.
func TestOpenChecksTheNetwork(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	raw := net.sealTo(t, 0, 1).Raw
	_, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: now, Network: "gljcn"})
	wantReason(t, err, protocol.ReasonNotAddressed)

	h := net.header(0, 1)
	h.Net = "gljcn"
	other := (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: h, to: []*protocol.MemberCard{net.cards[1]}}).build(t)
	_, err = Open(other, net.ids[1], net.keys(), VerifyOptions{Now: now})
	wantReason(t, err, protocol.ReasonNotAddressed)
}

// TestDecryptSmallPayloadInOneCall: a payload shorter than a chunk is
// opened in one AEAD call, without the 64 KiB buffer of age's stream reader
// (docs/PERFORMANCE.md): what decrypt exists for, beyond giving age's
// answers.
func TestDecryptSmallPayloadInOneCall(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	ids := net.ids[1].AgeIdentities()
	for _, size := range []int{1000, ageChunkSize - 1} {
		ct := ageEncrypt(t, bytes.Repeat([]byte{'x'}, size), net.cards[1])
		perCall := func(fn func() ([]byte, error)) int {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range 20 {
				if _, err := fn(); err != nil {
					t.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			return int(after.TotalAlloc-before.TotalAlloc) / 20
		}
		fast := perCall(func() ([]byte, error) { return decrypt(ct, 1<<20, ids...) })
		stream := perCall(func() ([]byte, error) { return decryptStream(ct, 1<<20, ids...) })
		t.Logf("bytes allocated per decryption of %d bytes: %d, through age's stream reader %d", size, fast, stream)
		// The plaintext, and less than half a chunk besides; age's reader
		// takes a chunk's buffer and io.ReadAll's copies besides.
		if fast >= size+ageChunkSize/2 || stream < size+ageChunkSize {
			t.Fatalf("%d bytes: decrypt allocates %d bytes, age's stream %d: want under %d and over %d", size, fast, stream, size+ageChunkSize/2, size+ageChunkSize)
		}
	}
}

// TestIDTimeDriftLimit: a message id may carry a time up to
// protocol.MaxIDDrift away from the creation time, and no more.
func TestIDTimeDriftLimit(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	for _, c := range []struct {
		drift time.Duration
		ok    bool
	}{{protocol.MaxIDDrift, true}, {-protocol.MaxIDDrift, true}, {protocol.MaxIDDrift + time.Millisecond, false}} {
		h := net.header(0, 1)
		h.ID = protocol.NewMessageID(h.Created.Add(c.drift))
		raw := (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: h, to: []*protocol.MemberCard{net.cards[1]}}).build(t)
		_, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: now})
		if c.ok && err != nil {
			t.Errorf("an id %s from the creation time: %v", c.drift, err)
		}
		if !c.ok {
			wantReason(t, err, protocol.ReasonIDTime)
		}
	}
}
