package protocol

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

// NewMessageID returns a fresh message identifier: a UUIDv7 (RFC 9562) in its
// canonical lowercase text form. Its first 48 bits are the Unix time in
// milliseconds, so identifiers sort by creation time.
func NewMessageID(now time.Time) string {
	var u [16]byte
	binary.BigEndian.PutUint64(u[0:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(u[6:]); err != nil {
		panic("casenode: crypto/rand failed: " + err.Error())
	}
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // RFC 9562 variant
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// ValidateMessageID checks that s is a canonical lowercase UUIDv7.
func ValidateMessageID(s string) error {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' || s[14] != '7' {
		return fmt.Errorf("invalid message id %q: must be a lowercase UUIDv7", s)
	}
	for i := 0; i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("invalid message id %q: must be a lowercase UUIDv7", s)
		}
	}
	if v := s[19]; v != '8' && v != '9' && v != 'a' && v != 'b' {
		return fmt.Errorf("invalid message id %q: must be a lowercase UUIDv7", s)
	}
	return nil
}

// MaxIDDrift is how far the time in a message id may lie from the message's
// signed creation time: a sealer takes both from one clock reading.
const MaxIDDrift = time.Minute

// MessageIDTime returns the creation time a message id carries: its first
// 48 bits, Unix milliseconds.
func MessageIDTime(id string) (time.Time, error) {
	if err := ValidateMessageID(id); err != nil {
		return time.Time{}, err
	}
	var b [8]byte
	if _, err := hex.Decode(b[2:6], []byte(id[0:8])); err != nil {
		return time.Time{}, fmt.Errorf("invalid message id %q: %w", id, err)
	}
	if _, err := hex.Decode(b[6:8], []byte(id[9:13])); err != nil {
		return time.Time{}, fmt.Errorf("invalid message id %q: %w", id, err)
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:]))).UTC(), nil
}
