package seal

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"filippo.io/age"
	"github.com/casenode/casenode/protocol"
)

// ageEncrypt encrypts plain with age to the given cards' recipients.
func ageEncrypt(t testing.TB, plain []byte, cards ...*protocol.MemberCard) []byte {
	t.Helper()
	var rs []age.Recipient
	for _, c := range cards {
		r, err := protocol.ParseRecipient(c.AgeRecipient)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, rs...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return ct.Bytes()
}

// sameAnswer fails unless decrypt and age agree on ct: the same plaintext,
// or both an error (and errTooLarge from both, or from neither).
func sameAnswer(t *testing.T, what string, ct []byte, max int, ids ...age.Identity) {
	t.Helper()
	got, gerr := decrypt(ct, max, ids...)
	// The reference: age's own streaming decryption, which decrypt uses
	// for payloads of a full chunk or more.
	want, werr := decryptStream(ct, max, ids...)
	switch {
	case (gerr == nil) != (werr == nil):
		t.Fatalf("%s: decrypt says %v, age says %v", what, gerr, werr)
	case errors.Is(gerr, errTooLarge) != errors.Is(werr, errTooLarge):
		t.Fatalf("%s: decrypt says %v, age says %v", what, gerr, werr)
	case gerr == nil && !bytes.Equal(got, want):
		t.Fatalf("%s: decrypt gave %d bytes, age %d, not the same", what, len(got), len(want))
	}
}

// TestDecryptMatchesAge holds decrypt to age.Decrypt: for plaintexts on
// both sides of the one-chunk fast path, for both kinds of key, and for
// every kind of damage (bit flips in the header and the payload,
// truncation, trailing bytes, the wrong key, a limit too small).
func TestDecryptMatchesAge(t *testing.T) {
	for _, kind := range kinds() {
		net := testNetwork(t, kind)
		me, other := net.ids[1], net.ids[2]
		for _, size := range []int{0, 1, 1000, ageChunkSize - 1, ageChunkSize, ageChunkSize + 1, 3*ageChunkSize + 5} {
			t.Run(fmt.Sprintf("%s/%d", kind, size), func(t *testing.T) {
				plain := bytes.Repeat([]byte{'x'}, size)
				ct := ageEncrypt(t, plain, me.Card, net.cards[3])
				got, err := decrypt(ct, size, me.AgeIdentities()...)
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("decrypt of %d bytes: %d bytes, %v", size, len(got), err)
				}
				sameAnswer(t, "wrong key", ct, size, other.AgeIdentities()...)
				if size > 0 {
					sameAnswer(t, "limit one byte short", ct, size-1, me.AgeIdentities()...)
				}
				hdr, err := age.ExtractHeader(bytes.NewReader(ct))
				if err != nil {
					t.Fatal(err)
				}
				// Flip one bit in the header, the nonce, the first and last
				// bytes of the sealed chunk, and every 97th byte between.
				positions := []int{0, len(hdr) / 2, len(hdr) - 2, len(hdr), len(hdr) + payloadNonceSize, len(ct) - 1}
				for i := len(hdr) + payloadNonceSize; i < len(ct) && i < len(hdr)+4096; i += 97 {
					positions = append(positions, i)
				}
				for _, i := range positions {
					bad := bytes.Clone(ct)
					bad[i] ^= 0x04
					sameAnswer(t, fmt.Sprintf("bit flipped at %d of %d", i, len(ct)), bad, size, me.AgeIdentities()...)
				}
				for _, n := range []int{len(hdr) - 1, len(hdr), len(hdr) + payloadNonceSize, len(hdr) + payloadNonceSize + 15, len(ct) - 1} {
					sameAnswer(t, fmt.Sprintf("truncated to %d of %d", n, len(ct)), ct[:n], size, me.AgeIdentities()...)
				}
				sameAnswer(t, "a trailing byte", append(bytes.Clone(ct), 0), size+1, me.AgeIdentities()...)
			})
		}
	}
}

// FuzzDecrypt: on any input, decrypt answers as age.Decrypt does.
func FuzzDecrypt(f *testing.F) {
	net := testNetwork(f, protocol.KindClassic)
	f.Add(ageEncrypt(f, []byte("inner"), net.cards[1]))
	f.Add(ageEncrypt(f, nil, net.cards[1], net.cards[2]))
	f.Add(ageEncrypt(f, bytes.Repeat([]byte{'y'}, ageChunkSize+3), net.cards[1]))
	f.Add([]byte("age-encryption.org/v1\n-> X25519 \n--- \n"))
	f.Fuzz(func(t *testing.T, ct []byte) {
		sameAnswer(t, "fuzzed", ct, 1<<20, net.ids[1].AgeIdentities()...)
	})
}
