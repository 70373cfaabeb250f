package auditlog

import (
	"fmt"

	"github.com/casenode/casenode/protocol"
)

// Entry is what a caller appends: the log adds the sequence number, the
// time, the previous record's hash and the payload's hash.
type Entry struct {
	// Type says what happened. TypeCheckpoint is the log's own.
	Type Type
	// Actor is who did it: the local user or service for sent, config and
	// access records; the sending agency for received and rejected ones (as
	// claimed, for a rejection); the issuing agency for a receipt; the
	// card's agency for a key record. 1 to MaxActorLen bytes, no control
	// characters.
	Actor string
	// MessageID is the message the record is about (a lowercase UUIDv7), or
	// empty.
	MessageID string
	// Payload is stored exactly as given (see the Type constants).
	Payload []byte
	// Hub is, for a received message or a receipt from another agency,
	// what the hub stamped on it (its JetStream metadata); nil otherwise.
	Hub *HubStamp
}

// validate checks an entry before it is queued, so that one caller's bad
// entry never fails another caller's batch.
func (e *Entry) validate(own *protocol.MemberCard) error {
	if !e.Type.valid() {
		return fmt.Errorf("unknown record type %d", uint8(e.Type))
	}
	if e.Type == TypeCheckpoint || e.Type == TypeRestart {
		return fmt.Errorf("%s records are written by the log itself", e.Type)
	}
	if err := validateActor(e.Actor); err != nil {
		return fmt.Errorf("actor: %w", err)
	}
	if e.MessageID != "" {
		if err := protocol.ValidateMessageID(e.MessageID); err != nil {
			return err
		}
	}
	if e.Hub != nil {
		if e.Type != TypeReceived && e.Type != TypeReceipt {
			return fmt.Errorf("only a received message or receipt carries the hub's stamp, not a %s record", e.Type)
		}
		if err := e.Hub.validate(); err != nil {
			return err
		}
	}
	if len(e.Payload) > MaxPayloadSize {
		return fmt.Errorf("payload is %d bytes, over the limit of %d", len(e.Payload), MaxPayloadSize)
	}
	switch e.Type {
	case TypeKey:
		card, err := protocol.ParseMemberCard(e.Payload)
		if err != nil {
			return fmt.Errorf("key record: %w", err)
		}
		if card.Network != own.Network {
			return fmt.Errorf("key record: card of network %q, but this log is of network %q", card.Network, own.Network)
		}
		if card.Agency == own.Agency {
			return fmt.Errorf("key record: the log's own card (agency %q) changes only when the log is opened with a new one", own.Agency)
		}
	case TypeRejected:
		if _, err := DecodeRejection(e.Payload); err != nil {
			return fmt.Errorf("rejected record: %w", err)
		}
	}
	return nil
}
