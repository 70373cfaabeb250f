package protocol

// Reason is the stable code that says why a message was rejected. It is what
// a peer sees in a rejected receipt; the detail stays in the local audit log.
type Reason string

// The rejection reasons of protocol version 1.
const (
	ReasonMalformed          Reason = "malformed"           // not a well-formed sealed message
	ReasonOversized          Reason = "oversized"           // over MaxMessageSize
	ReasonUnsupportedVersion Reason = "unsupported-version" // format version this node does not read
	ReasonUnknownSender      Reason = "unknown-sender"      // sender is not a known member
	ReasonUnknownKey         Reason = "unknown-key"         // kid is not a key trusted for the sender
	ReasonBadSignature       Reason = "bad-signature"       // outer JWS does not verify
	ReasonBadInnerSignature  Reason = "bad-inner-signature" // signature on the encrypted body does not verify
	ReasonNotAddressed       Reason = "not-addressed"       // this agency is not a recipient (or wrong network)
	ReasonMismatch           Reason = "mismatch"            // signed body disagrees with the clear header
	ReasonExpired            Reason = "expired"             // past its expiry
	ReasonFuture             Reason = "future"              // created too far in the future
	ReasonUndecryptable      Reason = "undecryptable"       // age decryption failed
	ReasonInvalidBody        Reason = "invalid-body"        // body fails its type's validation
	ReasonConflict           Reason = "conflict"            // same message id, other content
	ReasonRevoked            Reason = "revoked"             // sender or key revoked in the roster in force
	ReasonTooOld             Reason = "too-old"             // created before the receiver's acceptance window
	ReasonIDTime             Reason = "id-time"             // the time in the message id disagrees with created
	ReasonUnknownMessage     Reason = "unknown-message"     // a receipt about a message this agency did not send to its issuer
	ReasonWrongPublisher     Reason = "wrong-publisher"     // claims a sender other than the agency the hub says published it
)
