package seal

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"filippo.io/age"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
)

// An attachment is a plain age file (c2sp.org/age), streamed: encrypted
// to every recipient of its message and to the sender itself (as an
// ordinary recipient stanza, unlike a version 2 message body), so that
// memory stays constant whatever its size. Its manifest in the signed body
// binds it to the message (protocol.Attachment).

// AttachmentWriter encrypts one attachment as it is written and counts the
// plaintext and ciphertext: their sizes and SHA-256 digests make its
// manifest.
type AttachmentWriter struct {
	age    io.WriteCloser
	plain  hash.Hash
	cipher *countingHash
	size   int64
	closed bool
}

// countingHash hashes and counts what is written through it to w.
type countingHash struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// EncryptAttachment returns a writer that encrypts what it is given to
// the recipients in to and to the Sealer's sender, writing the ciphertext
// to w. Close it to finish the file, then call Manifest.
func (s *Sealer) EncryptAttachment(w io.Writer, to []*protocol.MemberCard) (*AttachmentWriter, error) {
	cards, err := recipientCards(s.sender, to)
	if err != nil {
		return nil, err
	}
	recipients, err := s.recipients(append(cards, s.sender.Card))
	if err != nil {
		return nil, err
	}
	c := &countingHash{w: w, h: sha256.New()}
	a, err := age.Encrypt(c, recipients...)
	if err != nil {
		return nil, fmt.Errorf("encrypt attachment: %w", err)
	}
	return &AttachmentWriter{age: a, plain: sha256.New(), cipher: c}, nil
}

// Write encrypts p.
func (a *AttachmentWriter) Write(p []byte) (int, error) {
	n, err := a.age.Write(p)
	a.plain.Write(p[:n])
	a.size += int64(n)
	return n, err
}

// ageChunk is the plaintext size of a chunk of age's payload stream; each
// chunk is followed by its 16-byte Poly1305 tag (c2sp.org/age, payload).
const ageChunk = 64 << 10

// CipherSize is the size the ciphertext will have once a plaintext of
// size bytes is written and the writer closed. Call it before writing:
// age wrote the header and the payload nonce when the writer was made, and
// the payload is the plaintext in 64 KiB chunks (the last one possibly
// full, one empty chunk for an empty plaintext), each with its tag.
func (a *AttachmentWriter) CipherSize(size int64) int64 {
	chunks := max((size+ageChunk-1)/ageChunk, 1)
	return a.cipher.n + size + 16*chunks
}

// Close finishes the age file.
func (a *AttachmentWriter) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	return a.age.Close()
}

// Manifest returns the manifest of the closed attachment, named name, of
// media type media, as the index-th attachment of message id from the
// sender from.
func (a *AttachmentWriter) Manifest(from, id string, index int, name, media string) protocol.Attachment {
	return protocol.Attachment{
		CipherSHA256: hex.EncodeToString(a.cipher.h.Sum(nil)), CipherSize: a.cipher.n,
		Media: media, Name: name, Object: protocol.AttachmentObject(from, id, index),
		SHA256: hex.EncodeToString(a.plain.Sum(nil)), Size: a.size,
	}
}

// DecryptAttachment returns a reader of the plaintext of an attachment's
// ciphertext, decrypted with me's age identities (the current one and the
// previous ones). age authenticates each 64 KiB chunk as it is read and
// the end of the file at EOF: a reader that returned io.EOF read the whole
// file, authentic. The caller checks the plaintext's size and SHA-256
// against the manifest.
func DecryptAttachment(ct io.Reader, me *identity.Identity) (io.Reader, error) {
	r, err := age.Decrypt(ct, me.AgeIdentities()...)
	if err != nil {
		return nil, reject(protocol.ReasonUndecryptable, "attachment: %v", err)
	}
	return r, nil
}
