package seal

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// Version 2 encrypts to the recipients only: the sender's copy of the file
// key (a whole stanza, about 1.5 KB with post-quantum keys) is not sent.
// Instead the file key is derived from a secret only the sender holds and
// the payload nonce that the file carries:
//
//	file key = HKDF-SHA-256(ikm = the sender's age identity, salt = nonce, info = senderKeyInfo)[:16]
//
// so the sender, holding its age identity, can still open every message it
// sent from the message's bytes alone (its store, its audit log, a replay),
// exactly as a recipient does. The nonce is 16 random bytes, so every file
// key is fresh; a recipient learns the file key, as age always allows, and
// nothing about the secret (HKDF is a PRF). age.Encrypt draws the file key
// itself, so this file writes the age file (c2sp.org/age): the header with
// the recipients' own stanzas (age.Recipient.Wrap) and its MAC, then the
// payload. age.Decrypt, the age tool and decrypt in this package read it;
// the tests hold it to them.
const senderKeyInfo = "casenode sender file key v2"

const (
	ageIntro      = "age-encryption.org/v1\n"
	ageFileKeyLen = 16
	// ageColumns is the width of a stanza body's base64 lines.
	ageColumns = 64
)

// ageB64 is the base64 of age headers: standard alphabet, no padding.
var ageB64 = base64.RawStdEncoding.Strict()

// senderSecret returns the secret the sender's file keys derive from: the
// text of its age identity.
func senderSecret(id age.Identity) ([]byte, error) {
	s, ok := id.(interface{ String() string })
	if !ok {
		return nil, errors.New("the sender's age identity has no secret text")
	}
	return []byte(s.String()), nil
}

// senderFileKey derives the file key of a message whose payload nonce is
// nonce from the sender's secret.
func senderFileKey(secret, nonce []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, nonce, senderKeyInfo, ageFileKeyLen)
}

// encryptToRecipients returns the age file of plaintext for recipients,
// with a file key derived from the sender's secret.
func encryptToRecipients(secret []byte, recipients []age.Recipient, plaintext []byte) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, errors.New("no recipients")
	}
	nonce := make([]byte, payloadNonceSize)
	rand.Read(nonce)
	fileKey, err := senderFileKey(secret, nonce)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(ageIntro) + 1600*len(recipients) + 80 + len(plaintext) + (len(plaintext)/ageChunkSize+1)*chacha20poly1305.Overhead)
	out.WriteString(ageIntro)
	for i, r := range recipients {
		stanzas, err := r.Wrap(fileKey)
		if err != nil {
			return nil, fmt.Errorf("wrap the file key for recipient #%d: %w", i, err)
		}
		for _, s := range stanzas {
			if err := writeStanza(&out, s); err != nil {
				return nil, err
			}
		}
	}
	out.WriteString("---")
	mac, err := headerMAC(fileKey, out.Bytes())
	if err != nil {
		return nil, err
	}
	out.WriteString(" " + ageB64.EncodeToString(mac) + "\n")
	out.Write(nonce)
	if err := sealPayload(&out, fileKey, nonce, plaintext); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// writeStanza writes s as age does: "-> TYPE ARGS…", then the body in
// base64 lines of 64 columns, the last one shorter (possibly empty).
func writeStanza(w *bytes.Buffer, s *age.Stanza) error {
	for _, a := range append([]string{s.Type}, s.Args...) {
		if !validStanzaString(a) {
			return fmt.Errorf("invalid age stanza string %q", a)
		}
	}
	w.WriteString("->")
	for _, a := range append([]string{s.Type}, s.Args...) {
		w.WriteString(" " + a)
	}
	w.WriteByte('\n')
	b := ageB64.EncodeToString(s.Body)
	for len(b) >= ageColumns {
		w.WriteString(b[:ageColumns] + "\n")
		b = b[ageColumns:]
	}
	w.WriteString(b + "\n")
	return nil
}

// validStanzaString reports whether s is a non-empty string of printable
// ASCII without spaces, as age requires of stanza types and arguments.
func validStanzaString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}

// headerMAC is age's header MAC: HMAC-SHA-256 under HKDF-SHA-256(file key,
// info "header") of the header up to and including "---".
func headerMAC(fileKey, header []byte) ([]byte, error) {
	key, err := hkdf.Key(sha256.New, fileKey, nil, "header", 32)
	if err != nil {
		return nil, err
	}
	h := hmac.New(sha256.New, key)
	h.Write(header)
	return h.Sum(nil), nil
}

// sealPayload appends age's payload of plaintext (after the nonce): 64 KiB
// chunks, each sealed with ChaCha20-Poly1305, the last one flagged. An
// empty plaintext is one empty last chunk; otherwise the last chunk is not
// empty.
func sealPayload(w *bytes.Buffer, fileKey, nonce, plaintext []byte) error {
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		return err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return err
	}
	var n [chacha20poly1305.NonceSize]byte
	for counter := uint64(0); ; counter++ {
		chunk := plaintext[:min(ageChunkSize, len(plaintext))]
		plaintext = plaintext[len(chunk):]
		for i := 0; i < 8; i++ {
			n[len(n)-2-i] = byte(counter >> (8 * i))
		}
		if len(plaintext) == 0 {
			n[len(n)-1] = lastChunkFlag
		}
		w.Write(aead.Seal(nil, n[:], chunk, nil))
		if len(plaintext) == 0 {
			return nil
		}
	}
}

// decryptAsSender decrypts a version 2 age file that id's owner sent: the
// file key derives from id's secret and the payload nonce. ids are tried in
// turn (the current age identity, then previous ones); the header MAC
// tells the right one.
func decryptAsSender(ct []byte, max int, ids ...age.Identity) ([]byte, error) {
	n := headerLen(ct)
	if n == 0 || len(ct) < n+payloadNonceSize {
		return nil, errors.New("no age header and payload nonce")
	}
	nonce := ct[n : n+payloadNonceSize]
	err := errors.New("no age identity")
	for _, id := range ids {
		secret, serr := senderSecret(id)
		if serr != nil {
			err = serr
			continue
		}
		fileKey, kerr := senderFileKey(secret, nonce)
		if kerr != nil {
			return nil, kerr
		}
		var plain []byte
		plain, err = decrypt(ct, max, age.NewInjectedFileKeyIdentity(fileKey))
		if err == nil || errors.Is(err, errTooLarge) {
			return plain, err
		}
	}
	return nil, err
}
