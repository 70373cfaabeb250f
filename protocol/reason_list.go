package protocol

import "slices"

// Reasons returns every rejection reason of protocol version 1, in the order
// reason.go defines them.
func Reasons() []Reason {
	return []Reason{
		ReasonMalformed, ReasonOversized, ReasonUnsupportedVersion, ReasonUnknownSender,
		ReasonUnknownKey, ReasonBadSignature, ReasonBadInnerSignature, ReasonNotAddressed,
		ReasonMismatch, ReasonExpired, ReasonFuture, ReasonUndecryptable,
		ReasonInvalidBody, ReasonConflict, ReasonRevoked, ReasonTooOld, ReasonIDTime,
		ReasonUnknownMessage, ReasonWrongPublisher,
	}
}

// ValidReason reports whether r is one of the defined rejection reasons.
func ValidReason(r Reason) bool {
	return slices.Contains(Reasons(), r)
}
