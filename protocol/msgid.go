package protocol

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
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
	return formatUUID(u)
}

// formatUUID is the canonical lowercase text form of u.
func formatUUID(u [16]byte) string {
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

// MaxIDStepBack is how far a sender's clock may step back and its new
// messages still sort after its earlier ones (MessageIDAfter): beyond it
// they take the clock's time, and sort by it.
const MaxIDStepBack = 2 * time.Second

// MessageIDAfter returns the creation time and the id of a message sealed
// at now by the sealer whose previous message had the id prev (empty for
// none): the id sorts after prev, and the time, at millisecond precision,
// is not before prev's. When now falls in prev's millisecond, or before it
// by up to MaxIDStepBack (a clock stepped back), the id keeps prev's time
// and adds one to prev's random bits, as RFC 9562 (§6.2) allows; the time
// carried is then prev's. A sealer that takes each of its ids from the one
// before gives its messages an order, (creation time, id), that is its
// sending order, which case threads follow whatever order the messages
// arrive in.
func MessageIDAfter(prev string, now time.Time) (time.Time, string) {
	now = now.UTC().Truncate(time.Millisecond)
	last, err := MessageIDTime(prev)
	if err != nil || now.After(last) || last.Sub(now) > MaxIDStepBack {
		return now, NewMessageID(now)
	}
	var u [16]byte
	if _, err := hex.Decode(u[:], []byte(strings.ReplaceAll(prev, "-", ""))); err != nil {
		return now, NewMessageID(now)
	}
	// The 74 random bits: 12 in rand_a (u[6] low nibble, u[7]), 62 in
	// rand_b (u[8] low 6 bits, u[9:16]).
	low := binary.BigEndian.Uint64(u[8:16])&(1<<62-1) + 1
	high := uint64(u[6]&0x0f)<<8 | uint64(u[7])
	if low == 1<<62 {
		low, high = 0, high+1
	}
	if high == 1<<12 {
		// prev's millisecond is spent: the next one.
		next := last.Add(time.Millisecond)
		return next, NewMessageID(next)
	}
	binary.BigEndian.PutUint64(u[8:16], low|0x80<<56)
	u[6], u[7] = 0x70|byte(high>>8), byte(high)
	return last, formatUUID(u)
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
