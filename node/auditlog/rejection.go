package auditlog

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/casenode/casenode/protocol"
)

// Bounds of what a rejected record keeps of the input.
const (
	// MaxRejectedRaw is the largest input a rejected record keeps whole.
	MaxRejectedRaw = 64 << 10
	// RejectedPrefix is how much of a larger input it keeps, with the
	// input's SHA-256 and size.
	RejectedPrefix = 4 << 10
	// MaxDetailLen bounds the local detail of a rejection, in bytes.
	MaxDetailLen = 1024
)

// Versions of the rejected-record payload encoding, its first byte. Logs
// written before version 2 keep their version 1 records, which still
// decode and verify.
const (
	// RejectionV1 has no publisher and always keeps the input.
	RejectionV1 = 1
	// RejectionV2 adds the publisher the hub authenticated, and may keep
	// only the input's hash and size.
	RejectionV2 = 2
	// RejectionVersion is the version NewRejection writes.
	RejectionVersion = RejectionV2
)

// Rejection is the payload of a rejected record: why an input was refused,
// who published it, and the input itself, whole up to MaxRejectedRaw bytes,
// otherwise its first RejectedPrefix bytes — or, when Withheld, none of it.
type Rejection struct {
	// Version is the payload's encoding version.
	Version int
	// Reason is the stable reason code, the one a peer sees in a rejected
	// receipt (protocol.Reason) or another identifier for inputs that get no
	// receipt.
	Reason protocol.Reason
	// Detail is the local explanation, which peers never see.
	Detail string
	// Publisher is the agency whose hub credentials published the input,
	// as the hub stamped it (protocol.PublisherHeader): authenticated,
	// unlike the sender the input claims (the record's actor). Empty when
	// unknown, and in version 1.
	Publisher string
	// Size is the input's size in bytes.
	Size int64
	// SHA256 is the input's SHA-256.
	SHA256 [sha256.Size]byte
	// Withheld says that the input's bytes were not kept, only its size and
	// hash: its publisher had had more rejections kept in full that hour
	// than the node keeps (version 2 only).
	Withheld bool
	// Raw is the input, or its prefix when Size > MaxRejectedRaw, or
	// nothing when Withheld.
	Raw []byte
}

// NewRejection builds the rejection of raw. A detail over MaxDetailLen bytes
// is cut, and control characters other than newline and tab are replaced.
func NewRejection(reason protocol.Reason, detail string, raw []byte) *Rejection {
	r := &Rejection{Version: RejectionVersion, Reason: reason, Detail: cleanDetail(detail), Size: int64(len(raw)), SHA256: sha256.Sum256(raw)}
	keep := raw
	if len(raw) > MaxRejectedRaw {
		keep = raw[:RejectedPrefix]
	}
	r.Raw = append([]byte(nil), keep...)
	return r
}

// Withhold drops the kept bytes: the record keeps the input's size and
// hash only.
func (r *Rejection) Withhold() {
	r.Withheld, r.Raw = true, nil
}

// RejectedEntry returns the entry recording that an input from actor (as
// claimed; "unknown" if nothing can be told) was refused for reason.
// messageID may be empty.
func RejectedEntry(actor, messageID string, reason protocol.Reason, detail string, raw []byte) Entry {
	return NewRejection(reason, detail, raw).Entry(actor, messageID)
}

// Entry returns the rejected entry with r as its payload; actor is the
// sender the input claims.
func (r *Rejection) Entry(actor, messageID string) Entry {
	return Entry{Type: TypeRejected, Actor: actor, MessageID: messageID, Payload: r.Encode()}
}

// Complete reports whether Raw is the whole input.
func (r *Rejection) Complete() bool { return !r.Withheld && int64(len(r.Raw)) == r.Size }

// Encode returns the payload encoding of r.Version (docs/AUDIT.md):
// version, reason and detail with their lengths, (v2) the publisher with
// its length, size, SHA-256, (v2) whether the input is kept, the kept bytes
// with their length. Integers are big-endian.
func (r *Rejection) Encode() []byte {
	b := make([]byte, 0, 1+1+len(r.Reason)+2+len(r.Detail)+1+len(r.Publisher)+8+sha256.Size+1+4+len(r.Raw))
	b = append(b, byte(r.Version), byte(len(r.Reason)))
	b = append(b, r.Reason...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.Detail)))
	b = append(b, r.Detail...)
	if r.Version >= RejectionV2 {
		b = append(b, byte(len(r.Publisher)))
		b = append(b, r.Publisher...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(r.Size))
	b = append(b, r.SHA256[:]...)
	if r.Version >= RejectionV2 {
		kept := byte(1)
		if r.Withheld {
			kept = 0
		}
		b = append(b, kept)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Raw)))
	return append(b, r.Raw...)
}

// DecodeRejection decodes a rejected record's payload, version 1 or 2, and
// checks that it is canonical: the kept bytes are the whole input up to
// MaxRejectedRaw (and then hash to SHA256), otherwise exactly its first
// RejectedPrefix bytes, or none when withheld.
func DecodeRejection(data []byte) (*Rejection, error) {
	bad := func(format string, args ...any) (*Rejection, error) {
		return nil, fmt.Errorf("rejection payload: "+format, args...)
	}
	if len(data) < 2 || data[0] != RejectionV1 && data[0] != RejectionV2 {
		return bad("not a version %d or %d rejection", RejectionV1, RejectionV2)
	}
	v2 := data[0] == RejectionV2
	n := int(data[1])
	rest := data[2:]
	if len(rest) < n+2 {
		return bad("truncated reason")
	}
	r := &Rejection{Version: int(data[0]), Reason: protocol.Reason(rest[:n])}
	if err := protocol.ValidateID("reason", string(r.Reason)); err != nil {
		return bad("%v", err)
	}
	rest = rest[n:]
	d := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if d > MaxDetailLen || len(rest) < d {
		return bad("detail length %d out of range or truncated", d)
	}
	r.Detail = string(rest[:d])
	if cleanDetail(r.Detail) != r.Detail {
		return bad("detail is not clean UTF-8 text")
	}
	rest = rest[d:]
	if v2 {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return bad("truncated publisher")
		}
		p := int(rest[0])
		r.Publisher = string(rest[1 : 1+p])
		if p > 0 && protocol.ValidateID("agency", r.Publisher) != nil {
			return bad("publisher %q is not an agency id", r.Publisher)
		}
		rest = rest[1+p:]
	}
	fixed := 8 + sha256.Size + 4
	if v2 {
		fixed++
	}
	if len(rest) < fixed {
		return bad("truncated size, hash or kept length")
	}
	size := binary.BigEndian.Uint64(rest)
	if size > 1<<62 {
		return bad("size %d out of range", size)
	}
	r.Size = int64(size)
	copy(r.SHA256[:], rest[8:])
	rest = rest[8+sha256.Size:]
	if v2 {
		switch rest[0] {
		case 0:
			r.Withheld = true
		case 1:
		default:
			return bad("kept flag %d is neither 0 nor 1", rest[0])
		}
		rest = rest[1:]
	}
	k := int64(binary.BigEndian.Uint32(rest))
	rest = rest[4:]
	if int64(len(rest)) != k {
		return bad("kept length %d, but %d bytes remain", k, len(rest))
	}
	want := r.Size
	switch {
	case r.Withheld:
		want = 0
	case want > MaxRejectedRaw:
		want = RejectedPrefix
	}
	if k != want {
		return bad("keeps %d bytes of a %d-byte input, must keep %d", k, r.Size, want)
	}
	if k > 0 {
		r.Raw = append([]byte(nil), rest...)
	}
	if r.Complete() && sha256.Sum256(r.Raw) != r.SHA256 {
		return bad("the kept input does not hash to the recorded SHA-256")
	}
	return r, nil
}

// cleanDetail cuts s to MaxDetailLen bytes at a character boundary and
// replaces invalid UTF-8 and control characters other than newline and tab.
func cleanDetail(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c == utf8.RuneError || c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
			c = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(c) > MaxDetailLen {
			break
		}
		b.WriteRune(c)
	}
	return b.String()
}
