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
// for every record but a received message the hub stamped. It is the
// record's first byte.
const RecordVersion = 1

// RecordVersionHub is the version of a received or receipt record that
// carries the hub's stamp (HubStamp): version 1's fields, then the hub's
// storage time and stream sequence.
const RecordVersionHub = 2

// Limits of the record fields.
const (
	// MaxActorLen bounds the actor, in bytes: it is encoded with a one-byte
	// length.
	MaxActorLen = 255
	// MaxPayloadSize bounds a payload: a sealed message with room to spare.
	MaxPayloadSize = 4 * protocol.MaxMessageSize
	// MaxRecordSize bounds an encoded record: the fixed part, the longest
	// actor and a message id.
	MaxRecordSize = fixedLen + 1 + MaxActorLen + 1 + msgIDLen + hubLen
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
	hubLen         = 16 // version 2: stored time and stream sequence
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
	// Hub is what the hub stamped on a received message or receipt: when
	// it stored it and at which sequence of its stream (version 2); nil
	// otherwise.
	Hub *HubStamp

	raw []byte
}

// HubStamp is what the hub's JetStream stamped on a message it stored, as
// the node read it from the message's metadata: evidence of when the
// message reached the hub, beyond the sender's own signed creation time.
type HubStamp struct {
	// Stored is when the hub stored the message, UTC, nanoseconds.
	Stored time.Time
	// Seq is the message's sequence number in the hub's stream, from 1.
	Seq uint64
}

// validate checks a stamp: a time after 1970 and a sequence from 1.
func (h *HubStamp) validate() error {
	if h.Stored.UnixNano() <= 0 {
		return fmt.Errorf("hub storage time %s is not after 1970", h.Stored)
	}
	if h.Seq == 0 || h.Seq > 1<<62 {
		return fmt.Errorf("hub stream sequence %d out of range", h.Seq)
	}
	return nil
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
	b := make([]byte, fixedLen, fixedLen+2+len(r.Actor)+len(r.MessageID)+hubLen)
	b[offVersion] = RecordVersion
	if r.Hub != nil {
		b[offVersion] = RecordVersionHub
	}
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
	if r.Hub != nil {
		b = binary.BigEndian.AppendUint64(b, uint64(r.Hub.Stored.UnixNano()))
		b = binary.BigEndian.AppendUint64(b, r.Hub.Seq)
	}
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
	r := new(Record)
	if err := decodeRecordInto(r, data); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeRecordInto is decodeRecord into r, which it overwrites whole: the
// verifier decodes every record into the same one.
func decodeRecordInto(r *Record, data []byte) error {
	if len(data) < fixedLen+2 {
		return fmt.Errorf("%w: %d bytes, shorter than the %d of the smallest record", ErrEncoding, len(data), fixedLen+2)
	}
	version := data[offVersion]
	if version != RecordVersion && version != RecordVersionHub {
		return fmt.Errorf("%w: version %d (this casenode reads versions %d and %d)", ErrEncoding, version, RecordVersion, RecordVersionHub)
	}
	*r = Record{Type: Type(data[offType])}
	if !r.Type.valid() {
		return fmt.Errorf("%w: unknown record type %d", ErrEncoding, data[offType])
	}
	if version == RecordVersionHub && r.Type != TypeReceived && r.Type != TypeReceipt {
		return fmt.Errorf("%w: version %d is for received and receipt records only, not %s", ErrEncoding, version, r.Type)
	}
	seq := binary.BigEndian.Uint64(data[offSeq:])
	if seq > 1<<62 {
		return fmt.Errorf("%w: sequence number %d out of range", ErrEncoding, seq)
	}
	r.Seq = int64(seq)
	ns := int64(binary.BigEndian.Uint64(data[offTime:]))
	if ns <= 0 {
		return fmt.Errorf("%w: time %d is not after 1970", ErrEncoding, ns)
	}
	r.Time = time.Unix(0, ns).UTC()
	copy(r.Prev[:], data[offPrev:])
	copy(r.PayloadHash[:], data[offPayloadHash:])
	size := binary.BigEndian.Uint64(data[offPayloadSize:])
	if size > MaxPayloadSize {
		return fmt.Errorf("%w: payload size %d over the limit of %d", ErrEncoding, size, MaxPayloadSize)
	}
	r.PayloadSize = int64(size)

	rest := data[fixedLen:]
	n := int(rest[0])
	if len(rest) < 1+n+1 {
		return fmt.Errorf("%w: truncated actor", ErrEncoding)
	}
	r.Actor = string(rest[1 : 1+n])
	if err := validateActor(r.Actor); err != nil {
		return fmt.Errorf("%w: actor: %v", ErrEncoding, err)
	}
	rest = rest[1+n:]
	m := int(rest[0])
	tail := 0
	if version == RecordVersionHub {
		tail = hubLen
	}
	if len(rest) != 1+m+tail {
		return fmt.Errorf("%w: message id length %d, but %d bytes remain", ErrEncoding, m, len(rest)-1-tail)
	}
	if tail > 0 {
		h := rest[1+m:]
		ns := int64(binary.BigEndian.Uint64(h))
		r.Hub = &HubStamp{Stored: time.Unix(0, ns).UTC(), Seq: binary.BigEndian.Uint64(h[8:])}
		if err := r.Hub.validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrEncoding, err)
		}
		rest = rest[:1+m]
	}
	if m > 0 {
		r.MessageID = string(rest[1:])
		if err := protocol.ValidateMessageID(r.MessageID); err != nil {
			return fmt.Errorf("%w: %v", ErrEncoding, err)
		}
	}
	r.raw = data
	return nil
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
