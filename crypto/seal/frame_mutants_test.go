package seal

import (
	"crypto/ed25519"
	"strings"
	"testing"
)

// TestDecodeFrameOfTheFixedBytesOnly: a frame of exactly its fixed bytes
// (magic, header length, signature) is a version 2 frame, too short for
// its header and an age file, not something else.
func TestDecodeFrameOfTheFixedBytesOnly(t *testing.T) {
	raw := rawFrame(1, ed25519.SignatureSize)
	if len(raw) != frameOverhead {
		t.Fatalf("frame of %d bytes, want %d", len(raw), frameOverhead)
	}
	if _, err := decodeFrame(raw); err == nil || !strings.Contains(err.Error(), "too short for a 1-byte header") {
		t.Fatalf("a frame of its fixed bytes only: %v, want too short", err)
	}
	if _, err := decodeFrame(raw[:frameOverhead-1]); err == nil || err.Error() != "not a version 2 frame" {
		t.Fatalf("a byte less: %v, want not a version 2 frame", err)
	}
}
