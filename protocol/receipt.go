package protocol

import "fmt"

// ReceiptVersion is the version of the receipt format.
const ReceiptVersion = 1

// MaxReceiptSize bounds an encoded receipt.
const MaxReceiptSize = 4 << 10

// Receipt is a recipient's signed statement about a sealed message it
// received: delivered, read, or rejected with a stable reason code. It is
// not a sealed body: it is signed but not encrypted (see the crypto
// package), and it is always in canonical encoding (see Marshal), so that
// its bytes and its signature are reproducible.
type Receipt struct {
	// Version is ReceiptVersion.
	Version int `json:"v"`
	// ID is the receipt's own message id, a UUIDv7.
	ID string `json:"id"`
	// Network is the id of the network the message was sent in.
	Network string `json:"network"`
	// From is the id of the agency issuing the receipt: a recipient of the
	// message.
	From string `json:"from"`
	// To is the id of the agency that sent the message.
	To string `json:"to"`
	// MessageID is the id of the message the receipt is about.
	MessageID string `json:"message_id"`
	// MessageHash is the lowercase hex SHA-256 digest of the exact sealed
	// message bytes received, 64 characters.
	MessageHash string `json:"message_hash"`
	// Kind says what happened to the message.
	Kind ReceiptKind `json:"kind"`
	// Reason says why the message was rejected: one of the reasons of
	// reason.go. It is required when Kind is rejected and must be absent
	// otherwise.
	Reason Reason `json:"reason,omitempty"`
	// Time is when the issuing agency's node recorded what happened.
	Time Time `json:"time"`
}

// ReceiptKind says what happened to a message.
type ReceiptKind string

// The receipt kinds.
const (
	// ReceiptDelivered: the recipient's node verified, decrypted and stored
	// the message.
	ReceiptDelivered ReceiptKind = "delivered"
	// ReceiptRead: someone at the recipient agency opened the message.
	ReceiptRead ReceiptKind = "read"
	// ReceiptRejected: the recipient's node refused the message, for the
	// receipt's reason.
	ReceiptRejected ReceiptKind = "rejected"
)

// ReceiptKinds returns every receipt kind.
func ReceiptKinds() []ReceiptKind {
	return []ReceiptKind{ReceiptDelivered, ReceiptRead, ReceiptRejected}
}

// ParseReceipt decodes a receipt, which must be at most MaxReceiptSize bytes
// and in canonical encoding, and validates it.
func ParseReceipt(data []byte) (*Receipt, error) {
	var r Receipt
	if err := DecodeCanonical("receipt", data, MaxReceiptSize, &r); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Marshal returns the receipt's canonical encoding.
func (r *Receipt) Marshal() ([]byte, error) { return Marshal(r) }

// Type returns TypeReceipt.
func (r *Receipt) Type() MessageType { return TypeReceipt }

// Validate checks every field of the receipt.
func (r *Receipt) Validate() error {
	const p = "receipt"
	if r.Version != ReceiptVersion {
		return fmt.Errorf("%s.v: unsupported version %d (this casenode reads version %d)", p, r.Version, ReceiptVersion)
	}
	if err := checkMessageID(p+".id", r.ID); err != nil {
		return err
	}
	if err := ValidateID("network", r.Network); err != nil {
		return fmt.Errorf("%s.network: %w", p, err)
	}
	if err := ValidateID("agency", r.From); err != nil {
		return fmt.Errorf("%s.from: %w", p, err)
	}
	if err := ValidateID("agency", r.To); err != nil {
		return fmt.Errorf("%s.to: %w", p, err)
	}
	if r.To == r.From {
		return fmt.Errorf("%s.to: must not be the issuing agency %q", p, r.From)
	}
	if err := checkMessageID(p+".message_id", r.MessageID); err != nil {
		return err
	}
	if r.MessageID == r.ID {
		return fmt.Errorf("%s.message_id: must not be the receipt's own id", p)
	}
	if err := checkSHA256(p+".message_hash", r.MessageHash); err != nil {
		return err
	}
	if err := checkEnum(p+".kind", r.Kind, ReceiptKinds()); err != nil {
		return err
	}
	if r.Kind == ReceiptRejected {
		if r.Reason == "" {
			return fmt.Errorf("%s.reason: must be set when kind is rejected", p)
		}
		if err := checkEnum(p+".reason", r.Reason, Reasons()); err != nil {
			return err
		}
	} else if r.Reason != "" {
		return fmt.Errorf("%s.reason: must be absent unless kind is rejected", p)
	}
	if r.Time.IsZero() {
		return fmt.Errorf("%s.time: must be set", p)
	}
	return nil
}
