package seal

import (
	"errors"
	"fmt"

	"github.com/casenode/casenode/protocol"
)

// Error is a rejected message: a stable reason code, which is what a peer
// sees in a rejected receipt, and the detail, which stays local.
type Error struct {
	Reason protocol.Reason
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("message rejected (%s): %v", e.Reason, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// Hint says what the user can do about the rejection.
func (e *Error) Hint() string {
	switch e.Reason {
	case protocol.ReasonUnknownSender:
		return "the sender's member card is not among the trusted cards: add it with --trust, or ask the secretariat whether the agency is a member"
	case protocol.ReasonUnknownKey:
		return "the sender signed with a key its trusted member card does not have: get the sender's current member card"
	case protocol.ReasonNotAddressed:
		return "this message was not sealed to this agency; only its recipients can open it"
	case protocol.ReasonExpired:
		return "ask the sender to send it again"
	case protocol.ReasonFuture:
		return "check this machine's clock and the sender's"
	case protocol.ReasonTooOld:
		return "the message was created before the acceptance window (max_message_age in node.json): ask the sender to send it again"
	case protocol.ReasonIDTime:
		return "the message id and its creation time disagree: the sender's software is faulty or the message was crafted"
	case protocol.ReasonOversized:
		return fmt.Sprintf("a sealed message is at most %d bytes", protocol.MaxMessageSize)
	case protocol.ReasonInvalidBody:
		return "the sender signed a body that its type's rules refuse: its casenode may be another version; tell the sender, who can send it again once fixed"
	case protocol.ReasonBadSignature, protocol.ReasonBadInnerSignature, protocol.ReasonMismatch:
		return "the message was altered or forged after it was sealed: do not trust it, and keep it as evidence"
	}
	return ""
}

func reject(reason protocol.Reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// ReasonOf returns the rejection reason of err, or "" if err is not a
// rejection.
func ReasonOf(err error) protocol.Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// MixedKindsError reports recipients whose age recipient kind differs from
// the sender's: age cannot mix post-quantum and classic recipients in one
// file, so a network uses one kind throughout.
type MixedKindsError struct {
	Want protocol.RecipientKind
	Odd  []string // agency ids of the odd recipients
}

func (e *MixedKindsError) Error() string {
	return fmt.Sprintf("cannot seal to a mix of recipient kinds: %v use a different kind from the sender's %s", e.Odd, e.Want)
}

// Hint explains the rule.
func (e *MixedKindsError) Hint() string {
	return "a network uses one kind of age recipient throughout (post-quantum by default, or --classic for all); the odd agencies need new keys of the network's kind"
}
