package config

import "fmt"

// MemberLimits bound what one member agency may put into the hub, so that
// no member can fill the hub's disk or take its capacity from the others.
// The hub refuses a publication over a limit, telling the publisher why.
type MemberLimits struct {
	// StoredBytes bounds the bytes of the messages an agency published
	// that the hub still holds (within its retention).
	StoredBytes int64 `json:"stored_bytes"`
	// StoredMessages bounds the number of those messages.
	StoredMessages int64 `json:"stored_messages"`
	// MessagesPerSecond bounds an agency's publication rate, averaged over
	// RateBurst: a burst of twice this many is allowed.
	MessagesPerSecond int64 `json:"messages_per_second"`
	// BytesPerSecond bounds an agency's publication rate in bytes, over
	// the same burst.
	BytesPerSecond int64 `json:"bytes_per_second"`
	// AttachmentBytes bounds the ciphertext bytes of the attachments an
	// agency declared that the hub still holds: refused when it declares
	// one more, before any of it is uploaded.
	AttachmentBytes int64 `json:"attachment_bytes"`
}

// Defaults of the member limits: far above what an office sends (a few
// hundred messages a day), far below what one member could use to fill a
// hub's disk in a day.
const (
	DefaultStoredBytes       = 10 << 30
	DefaultStoredMessages    = 1_000_000
	DefaultMessagesPerSecond = 500
	DefaultBytesPerSecond    = 16 << 20
	DefaultAttachmentBytes   = 64 << 30
	// RateBurst is how many seconds of the rate limits a member may
	// publish at once.
	RateBurst = 2
)

// DefaultMemberLimits returns the default limits.
func DefaultMemberLimits() MemberLimits {
	return MemberLimits{
		StoredBytes:       DefaultStoredBytes,
		StoredMessages:    DefaultStoredMessages,
		MessagesPerSecond: DefaultMessagesPerSecond,
		BytesPerSecond:    DefaultBytesPerSecond,
		AttachmentBytes:   DefaultAttachmentBytes,
	}
}

// validate checks the limits against the largest message the hub takes.
func (l *MemberLimits) validate(maxPayload int64) error {
	switch {
	case l.StoredBytes < maxPayload+HeaderAllowance:
		return fmt.Errorf("hub.member_limits.stored_bytes: %d is too small: must hold at least one message of max_payload (%d bytes)", l.StoredBytes, maxPayload+HeaderAllowance)
	case l.StoredMessages < 1:
		return fmt.Errorf("hub.member_limits.stored_messages: %d must be at least 1", l.StoredMessages)
	case l.MessagesPerSecond < 1 || l.MessagesPerSecond > 1_000_000:
		return fmt.Errorf("hub.member_limits.messages_per_second: %d is out of range: must be between 1 and 1000000", l.MessagesPerSecond)
	case l.BytesPerSecond < 1024 || l.BytesPerSecond > 1<<40:
		return fmt.Errorf("hub.member_limits.bytes_per_second: %d is out of range: must be between 1024 and 1099511627776", l.BytesPerSecond)
	}
	return nil
}
