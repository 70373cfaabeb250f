package auditlog

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/tlog"
)

// RecordVersion is the version of the record encoding this package writes
// and reads. It is the record's first byte.
const RecordVersion = 1

// Limits of the record fields.
const (
	// MaxActorLen bounds the actor, in bytes: it is encoded with a one-byte
	// length.
	MaxActorLen = 255
	// MaxPayloadSize bounds a payload: a sealed message with room to spare.
	MaxPayloadSize = 4 * protocol.MaxMessageSize
	// MaxRecordSize bounds an encoded record: the fixed part, the longest
	// actor and a message id.
	MaxRecordSize = fixedLen + 1 + MaxActorLen + 1 + msgIDLen
)

// The fixed part of an encoded record, byte offsets (docs/AUDIT.md).
const (
	offVersion     = 0
	offType        = 1
	offSeq         = 2
	offTime        = 10
	offPrev        = 18
	offPayloadHash = 50
	offPayloadSize = 82
	fixedLen       = 90
	msgIDLen       = 36
)

// ErrEncoding reports record bytes that are not one canonical record.
var ErrEncoding = errors.New("not a canonical audit record")

// Record is one entry of the log as stored: the entry's fields plus what the
// log adds (sequence number, time, the previous record's hash, the payload's
// hash and size). The payload itself is stored apart, under the same
// sequence number.
type Record struct {
	// Seq is the record's index in the log, from 0.
	Seq int64
	// Time is when the log wrote the record, UTC, nanosecond precision. Times
	// never decrease along the log.
	Time time.Time
	// Type says what happened.
	Type Type
	// Actor is who did it (see Entry).
	Actor string
	// MessageID is the message the record is about, or empty.
	MessageID string
	// Prev is the RFC 6962 leaf hash of the previous record's bytes, all
	// zeros for record 0.
	Prev tlog.Hash
	// PayloadHash is the SHA-256 of the payload.
	PayloadHash [sha256.Size]byte
	// PayloadSize is the payload's length in bytes.
	PayloadSize int64

	raw []byte
}

// Bytes returns the record's encoding: the exact stored bytes for a record
// that was decoded or appended. The caller must not modify them.
func (r *Record) Bytes() []byte {
	if r.raw == nil {
		r.raw = r.encode()
	}
	return r.raw
}

// Hash returns the record's RFC 6962 leaf hash, SHA-256(0x00 ‖ bytes): its
// hash in the Merkle tree and the next record's Prev.
func (r *Record) Hash() tlog.Hash { return tlog.RecordHash(r.Bytes()) }

// encode lays the record out as documented in docs/AUDIT.md. Integers are
// big-endian; the variable fields come last, each after a one-byte length.
func (r *Record) encode() []byte {
	b := make([]byte, fixedLen, fixedLen+2+len(r.Actor)+len(r.MessageID))
	b[offVersion] = RecordVersion
	b[offType] = byte(r.Type)
	binary.BigEndian.PutUint64(b[offSeq:], uint64(r.Seq))
	binary.BigEndian.PutUint64(b[offTime:], uint64(r.Time.UnixNano()))
	copy(b[offPrev:], r.Prev[:])
	copy(b[offPayloadHash:], r.PayloadHash[:])
	binary.BigEndian.PutUint64(b[offPayloadSize:], uint64(r.PayloadSize))
	b = append(b, byte(len(r.Actor)))
	b = append(b, r.Actor...)
	b = append(b, byte(len(r.MessageID)))
	b = append(b, r.MessageID...)
	return b
}

// DecodeRecord decodes one record and checks that data is its one canonical
// encoding. The record keeps a copy of data.
func DecodeRecord(data []byte) (*Record, error) {
	r, err := decodeRecord(data)
	if err != nil {
		return nil, err
	}
	r.raw = append([]byte(nil), data...)
	return r, nil
}

// decodeRecord is DecodeRecord without the copy: the record's Bytes are data.
func decodeRecord(data []byte) (*Record, error) {
	if len(data) < fixedLen+2 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d of the smallest record", ErrEncoding, len(data), fixedLen+2)
	}
	if data[offVersion] != RecordVersion {
		return nil, fmt.Errorf("%w: version %d (this casenode reads version %d)", ErrEncoding, data[offVersion], RecordVersion)
	}
	r := &Record{Type: Type(data[offType])}
	if !r.Type.valid() {
		return nil, fmt.Errorf("%w: unknown record type %d", ErrEncoding, data[offType])
	}
	seq := binary.BigEndian.Uint64(data[offSeq:])
	if seq > 1<<62 {
		return nil, fmt.Errorf("%w: sequence number %d out of range", ErrEncoding, seq)
	}
	r.Seq = int64(seq)
	ns := int64(binary.BigEndian.Uint64(data[offTime:]))
	if ns <= 0 {
		return nil, fmt.Errorf("%w: time %d is not after 1970", ErrEncoding, ns)
	}
	r.Time = time.Unix(0, ns).UTC()
	copy(r.Prev[:], data[offPrev:])
	copy(r.PayloadHash[:], data[offPayloadHash:])
	size := binary.BigEndian.Uint64(data[offPayloadSize:])
	if size > MaxPayloadSize {
		return nil, fmt.Errorf("%w: payload size %d over the limit of %d", ErrEncoding, size, MaxPayloadSize)
	}
	r.PayloadSize = int64(size)

	rest := data[fixedLen:]
	n := int(rest[0])
	if len(rest) < 1+n+1 {
		return nil, fmt.Errorf("%w: truncated actor", ErrEncoding)
	}
	r.Actor = string(rest[1 : 1+n])
	if err := validateActor(r.Actor); err != nil {
		return nil, fmt.Errorf("%w: actor: %v", ErrEncoding, err)
	}
	rest = rest[1+n:]
	m := int(rest[0])
	if len(rest) != 1+m {
		return nil, fmt.Errorf("%w: message id length %d, but %d bytes remain", ErrEncoding, m, len(rest)-1)
	}
	if m > 0 {
		r.MessageID = string(rest[1:])
		if err := protocol.ValidateMessageID(r.MessageID); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEncoding, err)
		}
	}
	r.raw = data
	return r, nil
}

// validateActor checks an actor: 1 to MaxActorLen bytes of UTF-8 without
// control characters or white space other than the plain space.
func validateActor(s string) error {
	if s == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(s) > MaxActorLen {
		return fmt.Errorf("is %d bytes, over the limit of %d", len(s), MaxActorLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("must be valid UTF-8")
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 {
			return fmt.Errorf("must not contain control characters (found %U)", c)
		}
	}
	return nil
}
