package protocol

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Versions of the sealed message format. docs/PROTOCOL.md specifies both:
// version 1 is a compact JWS around base64url, version 2 a binary frame
// with the same signatures detached over raw bytes. A node writes
// FormatVersion and reads both.
const (
	FormatVersion1 = 1
	FormatVersion2 = 2
	// FormatVersion is the version new messages are sealed in.
	FormatVersion = FormatVersion2
)

// KnownVersion reports whether v is a sealed message format version this
// package reads.
func KnownVersion(v int) bool { return v == FormatVersion1 || v == FormatVersion2 }

// JWS "typ" values of casenode's signed objects.
const (
	MessageJWSType = "casenode-message+jws" // the outer signature of a sealed message
	BodyJWSType    = "casenode-body+jws"    // the sender's signature inside the encryption
	ReceiptJWSType = "casenode-receipt+jws" // a receipt
)

// Size limits, checked before any parsing.
const (
	// MaxBodySize bounds a message body (JSON).
	MaxBodySize = 4 << 20
	// MaxInnerSize bounds the signed inner body: the body, the binding
	// fields and the JWS around them, base64url-encoded.
	MaxInnerSize = MaxBodySize*4/3 + 64<<10
	// MaxMessageSize bounds a whole sealed message: the inner body encrypted
	// to up to MaxRecipients+1 agencies, base64url-encoded, and the header.
	MaxMessageSize = 8 << 20
	// MaxRecipients bounds the recipients of one message.
	MaxRecipients = 100
)

// Header is the clear, signed header of a sealed message: the protected
// header of its outer JWS. It holds only what routing needs. Its fields are
// in the order of their JSON names, which is the canonical (sorted) order.
type Header struct {
	Alg     string      `json:"alg"`               // always "EdDSA"
	Case    string      `json:"case,omitempty"`    // case/thread id, an identifier
	Created Time        `json:"created"`           // when the sender sealed it
	Expires *Time       `json:"expires,omitempty"` // after this, recipients reject it
	From    string      `json:"from"`              // sender agency id
	ID      string      `json:"id"`                // message id, UUIDv7
	Kid     string      `json:"kid"`               // sender's signing key, RFC 7638 thumbprint
	MsgType MessageType `json:"msgtype"`           // body type
	Net     string      `json:"net"`               // network id
	To      []string    `json:"to"`                // recipient agency ids, sorted, unique
	Typ     string      `json:"typ"`               // always MessageJWSType
	V       int         `json:"v"`                 // FormatVersion
}

// Fields returns the header fields other than alg, kid and typ, as the JWS
// signer wants them.
func (h *Header) Fields() map[string]any {
	m := map[string]any{
		"created": h.Created,
		"from":    h.From,
		"id":      h.ID,
		"msgtype": h.MsgType,
		"net":     h.Net,
		"to":      h.To,
		"v":       h.V,
	}
	if h.Case != "" {
		m["case"] = h.Case
	}
	if h.Expires != nil {
		m["expires"] = *h.Expires
	}
	return m
}

// Validate checks the header's fields; errors name the field.
func (h *Header) Validate() error {
	if !KnownVersion(h.V) {
		return fmt.Errorf("header v: unsupported format version %d (this casenode reads 1 and 2)", h.V)
	}
	if h.Alg != "EdDSA" {
		return fmt.Errorf("header alg: must be EdDSA")
	}
	if h.Typ != MessageJWSType {
		return fmt.Errorf("header typ: must be %s", MessageJWSType)
	}
	if err := ValidateMessageID(h.ID); err != nil {
		return fmt.Errorf("header id: %w", err)
	}
	if err := ValidateID("network", h.Net); err != nil {
		return fmt.Errorf("header net: %w", err)
	}
	if err := ValidateID("agency", h.From); err != nil {
		return fmt.Errorf("header from: %w", err)
	}
	if err := ValidateRecipients(h.From, h.To); err != nil {
		return fmt.Errorf("header to: %w", err)
	}
	if _, err := ParseMessageType(string(h.MsgType)); err != nil {
		return fmt.Errorf("header msgtype: %w", err)
	}
	if h.Case != "" {
		if err := ValidateCaseID(h.Case); err != nil {
			return fmt.Errorf("header case: %w", err)
		}
	}
	if h.Created.IsZero() {
		return fmt.Errorf("header created: must be set")
	}
	if h.Expires != nil && !h.Expires.After(h.Created.Time) {
		return fmt.Errorf("header expires: must be after created")
	}
	if h.Kid == "" {
		return fmt.Errorf("header kid: must be set")
	}
	return nil
}

// ValidateRecipients checks a recipient list: 1 to MaxRecipients valid
// agency ids, sorted, unique, not including the sender.
func ValidateRecipients(from string, to []string) error {
	if len(to) == 0 {
		return fmt.Errorf("must name at least one recipient")
	}
	if len(to) > MaxRecipients {
		return fmt.Errorf("names %d recipients, over the limit of %d", len(to), MaxRecipients)
	}
	for i, a := range to {
		if err := ValidateID("agency", a); err != nil {
			return err
		}
		if a == from {
			return fmt.Errorf("names the sender %q as a recipient", a)
		}
		if i > 0 && to[i-1] >= a {
			return fmt.Errorf("must be sorted and unique (%q after %q)", a, to[i-1])
		}
	}
	return nil
}

// SortRecipients returns ids sorted and without duplicates.
func SortRecipients(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	j := 0
	for i, a := range out {
		if i == 0 || a != out[j-1] {
			out[j] = a
			j++
		}
	}
	return out[:j]
}

// ParseHeader decodes a protected header strictly and canonically and
// validates it. An unsupported version is reported before anything else.
func ParseHeader(data []byte) (*Header, error) {
	var probe struct {
		V json.RawMessage `json:"v"`
	}
	if err := json.Unmarshal(data, &probe); err == nil && string(probe.V) != "1" && string(probe.V) != "2" {
		return nil, &VersionError{Found: string(probe.V)}
	}
	var h Header
	if err := DecodeCanonical("message header", data, MaxHeaderSize, &h); err != nil {
		return nil, err
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return &h, nil
}

// MaxHeaderSize bounds a decoded message header.
const MaxHeaderSize = 16 << 10

// VersionError reports a format version this casenode does not read.
type VersionError struct{ Found string }

func (e *VersionError) Error() string {
	if e.Found == "" {
		return "message has no format version"
	}
	return fmt.Sprintf("message format version %s is not supported (this casenode reads 1 and 2)", e.Found)
}

// Inner is the payload of the sender's signature inside the encryption: the
// body and, bound to it, every field of the clear header that says who sent
// what to whom. Fields are in canonical (sorted) order.
type Inner struct {
	// Attachments are the manifests of the files sent with the message
	// (attachment.go); absent when there are none.
	Attachments []Attachment    `json:"attachments,omitempty"`
	Body        json.RawMessage `json:"body"`
	Case        string          `json:"case,omitempty"`
	Created     Time            `json:"created"`
	Expires     *Time           `json:"expires,omitempty"`
	From        string          `json:"from"`
	ID          string          `json:"id"`
	MsgType     MessageType     `json:"msgtype"`
	Net         string          `json:"net"`
	To          []string        `json:"to"`
	V           int             `json:"v"`
}

// ParseInner decodes the inner signed payload strictly and canonically.
func ParseInner(data []byte) (*Inner, error) {
	var in Inner
	if err := DecodeCanonical("signed body", data, MaxInnerSize, &in); err != nil {
		return nil, err
	}
	if !KnownVersion(in.V) {
		return nil, &VersionError{Found: fmt.Sprint(in.V)}
	}
	return &in, nil
}

// Binds reports the first field where the inner payload and the clear header
// disagree, or "" if they agree on every bound field.
func (in *Inner) Binds(h *Header) string {
	switch {
	case in.V != h.V:
		return "v"
	case in.ID != h.ID:
		return "id"
	case in.Net != h.Net:
		return "net"
	case in.From != h.From:
		return "from"
	case !equalStrings(in.To, h.To):
		return "to"
	case in.MsgType != h.MsgType:
		return "msgtype"
	case in.Case != h.Case:
		return "case"
	case !in.Created.Equal(h.Created.Time):
		return "created"
	case (in.Expires == nil) != (h.Expires == nil) || in.Expires != nil && !in.Expires.Equal(h.Expires.Time):
		return "expires"
	}
	return ""
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
