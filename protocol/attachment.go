package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Attachment sizes. docs/PROTOCOL.md (attachments) specifies them.
const (
	// AttachChunkSize is the size of every chunk of an attachment's
	// ciphertext at the hub but the last, which may be shorter.
	AttachChunkSize = 256 << 10
	// MaxAttachments bounds the attachments of one message.
	MaxAttachments = 64
	// MaxAttachmentSize is the protocol's ceiling on one attachment's
	// ciphertext; a network's hub.json sets a lower one.
	MaxAttachmentSize = 1 << 40
	// MaxAttachmentName bounds a file name, in characters.
	MaxAttachmentName = 255
	// MaxMediaType bounds a media type, in bytes.
	MaxMediaType = 127
)

// Attachment is the manifest of one file sent with a message. It travels
// in the signed body (Inner.Attachments), so the file is bound to the
// message and its sender: the object holding its ciphertext at the hub is
// AttachmentObject(from, id, index), and the receiver checks both digests.
// Fields are in canonical (sorted) order.
type Attachment struct {
	// CipherSHA256 is the SHA-256 of the age ciphertext, lowercase hex.
	CipherSHA256 string `json:"cipher_sha256"`
	// CipherSize is the ciphertext's size in bytes.
	CipherSize int64 `json:"cipher_size"`
	// Media is the file's media type (type/subtype).
	Media string `json:"media"`
	// Name is the file's base name.
	Name string `json:"name"`
	// Object is the object id at the hub.
	Object string `json:"object"`
	// SHA256 is the SHA-256 of the plaintext file, lowercase hex.
	SHA256 string `json:"sha256"`
	// Size is the plaintext file's size in bytes.
	Size int64 `json:"size"`
}

// objectIDLen is the length of an object id: 128 bits in hex.
const objectIDLen = 32

// AttachmentObject is the object id of the index-th attachment of message
// id from agency from: the first 128 bits of SHA-256 over a fixed label and
// the three values. It names no file, and an attachment's manifest copied
// into another message names an object that message cannot have.
func AttachmentObject(from, id string, index int) string {
	h := sha256.Sum256([]byte("casenode attachment object\x00" + from + "\x00" + id + "\x00" + strconv.Itoa(index)))
	return hex.EncodeToString(h[:objectIDLen/2])
}

// ValidateObjectID checks that s has the form of an object id.
func ValidateObjectID(s string) error {
	ok := len(s) == objectIDLen
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
	}
	if !ok {
		return fmt.Errorf("invalid object id %s: must be %d lowercase hex digits", quote(s), objectIDLen)
	}
	return nil
}

// AttachChunks is the number of chunks of a ciphertext of size bytes.
func AttachChunks(size int64) int64 {
	return (size + AttachChunkSize - 1) / AttachChunkSize
}

// AttachChunkLen is the length of chunk n of a ciphertext of size bytes, or
// -1 when there is no such chunk.
func AttachChunkLen(size, n int64) int64 {
	if n < 0 || n >= AttachChunks(size) {
		return -1
	}
	return min(AttachChunkSize, size-n*AttachChunkSize)
}

// ageOverhead bounds what age adds to a plaintext: the header (at most
// MaxRecipients+1 post-quantum stanzas of about 2 KB) and 16 bytes per 64
// KiB chunk.
func ageOverhead(size int64) int64 {
	return (MaxRecipients+2)*4096 + 16*(size/(64<<10)+1)
}

// Validate checks one manifest; path names it in errors.
func (a *Attachment) validate(path string) error {
	if err := checkLine(path+".name", a.Name, 1, MaxAttachmentName); err != nil {
		return err
	}
	if a.Name == "." || a.Name == ".." || strings.ContainsAny(a.Name, "/\\\x00") {
		return fmt.Errorf("%s.name: %s is not a file's base name", path, quote(a.Name))
	}
	if err := checkMediaType(path+".media", a.Media); err != nil {
		return err
	}
	if a.Size < 0 || a.Size > MaxAttachmentSize {
		return fmt.Errorf("%s.size: must be 0 to %d (is %d)", path, int64(MaxAttachmentSize), a.Size)
	}
	if a.CipherSize <= a.Size || a.CipherSize > a.Size+ageOverhead(a.Size) {
		return fmt.Errorf("%s.cipher_size: %d is not the size of an age file of %d bytes", path, a.CipherSize, a.Size)
	}
	if err := checkSHA256(path+".sha256", a.SHA256); err != nil {
		return err
	}
	if err := checkSHA256(path+".cipher_sha256", a.CipherSHA256); err != nil {
		return err
	}
	if err := ValidateObjectID(a.Object); err != nil {
		return fmt.Errorf("%s.object: %w", path, err)
	}
	return nil
}

// ValidateAttachments checks the manifests of message id from agency from:
// each valid, at most MaxAttachments, names unique, and the index-th
// naming AttachmentObject(from, id, index).
func ValidateAttachments(from, id string, atts []Attachment) error {
	if err := checkCount("attachments", len(atts), 0, MaxAttachments); err != nil {
		return err
	}
	names := make([]string, len(atts))
	for i := range atts {
		p := at("attachments", i)
		if err := atts[i].validate(p); err != nil {
			return err
		}
		if want := AttachmentObject(from, id, i); atts[i].Object != want {
			return fmt.Errorf("%s.object: %s is not the object of attachment %d of message %s from %s", p, atts[i].Object, i, id, from)
		}
		names[i] = atts[i].Name
	}
	return checkUnique("attachments", names)
}

// ValidateMediaType checks a media type as a manifest wants it.
func ValidateMediaType(s string) error { return checkMediaType("media", s) }

// checkMediaType checks a media type: type/subtype of RFC 6838 restricted
// names, lowercase, without parameters.
func checkMediaType(path, s string) error {
	typ, sub, ok := strings.Cut(s, "/")
	if !ok || len(s) > MaxMediaType || !mediaToken(typ) || !mediaToken(sub) {
		return fmt.Errorf("%s: %s is not a media type (type/subtype, lowercase, e.g. application/pdf)", path, quote(s))
	}
	return nil
}

func mediaToken(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && strings.IndexByte("!#$&-^_.+", c) >= 0) {
			return false
		}
	}
	return true
}
