package protocol

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A witness reset is the secretariat's signed order that the hub's witness
// forget what it cosigned of one agency's audit log, so that it accepts the
// agency's next checkpoint as the start of a new log: after the agency
// legitimately started its log over ('casenode audit restart-log'), the
// witness would otherwise refuse every checkpoint of the new log as a
// rollback or a fork. The order is a compact JWS of type WitnessResetType
// signed by the secretariat's key; the hub keeps it, with what it forgot,
// for the auditors (docs/PROTOCOL.md, 4.1).

// WitnessResetType is the JWS "typ" of a witness reset order.
const WitnessResetType = "casenode-witness-reset+jws"

// Limits of a witness reset order.
const (
	// MaxWitnessResetSize bounds the encoded order.
	MaxWitnessResetSize = 4 << 10
	// MaxSignedWitnessResetSize bounds the signed order: the base64url
	// payload plus a JWS header and signature.
	MaxSignedWitnessResetSize = MaxWitnessResetSize/3*4 + 1<<10
	// MaxResetReasonLen bounds the reason, in bytes.
	MaxResetReasonLen = 1000
	// maxActorLen bounds who asked for the reset.
	maxActorLen = 128
)

// WitnessReset is the secretariat's order to reset the hub witness's state
// of one agency's log.
type WitnessReset struct {
	// Network is the network of the hub whose witness is reset.
	Network string `json:"network"`
	// Agency is the member whose log's state the witness forgets.
	Agency string `json:"agency"`
	// Reason says why, in words (the agency's restart of its log, …).
	Reason string `json:"reason"`
	// Actor is who gave the order: "cli:USER" for the command line,
	// "console:ACCOUNT" for the secretariat's console.
	Actor string `json:"actor"`
	// Issued is when the order was signed.
	Issued Time `json:"issued"`
}

// Validate checks every field; errors name the field.
func (r *WitnessReset) Validate() error {
	if err := ValidateID("network", r.Network); err != nil {
		return fmt.Errorf("witness_reset.network: %w", err)
	}
	if err := ValidateID("agency", r.Agency); err != nil {
		return fmt.Errorf("witness_reset.agency: %w", err)
	}
	if err := checkResetText(r.Reason, MaxResetReasonLen); err != nil {
		return fmt.Errorf("witness_reset.reason: %w", err)
	}
	if err := checkResetText(r.Actor, maxActorLen); err != nil {
		return fmt.Errorf("witness_reset.actor: %w", err)
	}
	if r.Issued.IsZero() {
		return fmt.Errorf("witness_reset.issued: missing")
	}
	return nil
}

// checkResetText refuses an empty text, one over limit bytes, one with
// leading or trailing white space, and control characters.
func checkResetText(s string, limit int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("missing")
	case len(s) > limit:
		return fmt.Errorf("%d bytes, over the limit of %d", len(s), limit)
	case !utf8.ValidString(s):
		return fmt.Errorf("not valid UTF-8")
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("leading or trailing white space")
	case strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Errorf("control characters")
	}
	return nil
}

// Marshal returns the order's canonical encoding.
func (r *WitnessReset) Marshal() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	b, err := Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode witness reset: %w", err)
	}
	if len(b) > MaxWitnessResetSize {
		return nil, fmt.Errorf("encode witness reset: %d bytes, over the limit of %d", len(b), MaxWitnessResetSize)
	}
	return b, nil
}

// ParseWitnessReset decodes an order in its canonical encoding and
// validates it.
func ParseWitnessReset(data []byte) (*WitnessReset, error) {
	var r WitnessReset
	if err := DecodeCanonical("witness reset", data, MaxWitnessResetSize, &r); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}
