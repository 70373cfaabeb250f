package seal

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// The age payload (c2sp.org/age, "Payload"): a 16-byte nonce, then the
// plaintext in 64 KiB chunks, each sealed with ChaCha20-Poly1305 under
// HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"), with a
// nonce of an 11-byte big-endian chunk counter and a last-chunk flag byte.
const (
	payloadNonceSize = 16
	ageChunkSize     = 64 << 10
	sealedChunkSize  = ageChunkSize + chacha20poly1305.Overhead
	lastChunkFlag    = 0x01
)

// errTooLarge reports a plaintext over the caller's limit.
var errTooLarge = errors.New("plaintext over the limit")

// decrypt decrypts the age file ct with ids, returning at most max bytes
// of plaintext and errTooLarge beyond. age.Decrypt reads the payload
// through a stream reader with a 64 KiB buffer and the caller through
// io.ReadAll: for the one-chunk payloads of ordinary messages (a body up
// to about 48 KiB) that is most of the memory opening allocates. So a
// payload shorter than a full chunk, which can only be a single last
// chunk, is opened here in one AEAD call; anything longer goes through
// age.Decrypt. The header, its MAC and the file key are age's
// (age.DecryptHeader). TestDecryptMatchesAge and FuzzDecrypt hold the two
// paths to the same answers.
func decrypt(ct []byte, max int, ids ...age.Identity) ([]byte, error) {
	n := headerLen(ct)
	if n == 0 || len(ct)-n >= payloadNonceSize+sealedChunkSize {
		return decryptStream(ct, max, ids...)
	}
	hdr, payload := ct[:n], ct[n:]
	fileKey, err := age.DecryptHeader(hdr, ids...)
	if err != nil {
		return nil, err
	}
	if len(payload) < payloadNonceSize+chacha20poly1305.Overhead {
		return nil, errors.New("payload too short")
	}
	key, err := hkdf.Key(sha256.New, fileKey, payload[:payloadNonceSize], "payload", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	var nonce [chacha20poly1305.NonceSize]byte // chunk 0
	nonce[len(nonce)-1] = lastChunkFlag
	sealed := payload[payloadNonceSize:]
	if len(sealed)-chacha20poly1305.Overhead > max {
		return nil, errTooLarge
	}
	plain, err := aead.Open(nil, nonce[:], sealed, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt the payload: %w", err)
	}
	return plain, nil
}

// footer starts the header's last line, which holds its MAC.
const footer = "\n--- "

// headerLen returns the length of the age header at the start of ct, up to
// and including its last line, or 0 if ct has no such line. No other line
// of a header starts with "---": the intro is "age-encryption.org/v1",
// stanzas start with "-> " and their bodies are base64. age.DecryptHeader
// then checks all of it, the MAC included. (age.ExtractHeader finds the
// same end by parsing and encoding the header again, which cost 5% of an
// open.)
func headerLen(ct []byte) int {
	i := bytes.Index(ct, []byte(footer))
	if i < 0 {
		return 0
	}
	j := bytes.IndexByte(ct[i+1:], '\n')
	if j < 0 {
		return 0
	}
	return i + 1 + j + 1
}

// decryptStream is decrypt for payloads of one full chunk or more, and
// for anything headerLen cannot make out: age.Decrypt says what is wrong.
func decryptStream(ct []byte, max int, ids ...age.Identity) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(ct), ids...)
	if err != nil {
		return nil, err
	}
	plain, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(plain) > max {
		return nil, errTooLarge
	}
	return plain, nil
}
