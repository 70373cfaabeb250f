package auditlog

import "fmt"

// Type says what a record is about. Its value is the record's second byte;
// the values never change meaning.
type Type uint8

// The record types of record version 1, and what their payloads hold.
const (
	// TypeSent: the node sent a message; the payload is the exact sealed
	// message bytes.
	TypeSent Type = 1
	// TypeReceived: the node accepted a message; the payload is the exact
	// sealed message bytes.
	TypeReceived Type = 2
	// TypeRejected: the node refused an input; the payload is a Rejection
	// (reason, detail and the raw bytes, bounded).
	TypeRejected Type = 3
	// TypeReceipt: a receipt sent or received; the payload is the signed
	// receipt.
	TypeReceipt Type = 4
	// TypeRoster: the node took a new network roster; the payload is the
	// signed roster.
	TypeRoster Type = 5
	// TypeKey: the node trusts a member card from this record on; the
	// payload is the card's JSON. Record 0 is always the log's own agency's
	// card.
	TypeKey Type = 6
	// TypeConfig: the node's configuration changed; the payload is the new
	// configuration or a description of the change.
	TypeConfig Type = 7
	// TypeAccess: someone at the agency acted on the node, for example read
	// a message; the payload describes the access.
	TypeAccess Type = 8
	// TypeCheckpoint: the log signed a checkpoint of the records before this
	// one; the payload is the signed checkpoint. Only logs written before
	// every commit signed hold these: none is written any more.
	TypeCheckpoint Type = 9
	// TypeRestart: the log starts over after a broken one (Restart); the
	// payload is a RestartRecord, naming the old log's last good checkpoint. Only
	// the log writes it, as record 1.
	TypeRestart Type = 10
)

// Types returns every record type, in the order of their values.
func Types() []Type {
	return []Type{TypeSent, TypeReceived, TypeRejected, TypeReceipt, TypeRoster, TypeKey, TypeConfig, TypeAccess, TypeCheckpoint, TypeRestart}
}

func (t Type) valid() bool { return t >= TypeSent && t <= TypeRestart }

// String returns the type's name ("sent", "received", …).
func (t Type) String() string {
	switch t {
	case TypeSent:
		return "sent"
	case TypeReceived:
		return "received"
	case TypeRejected:
		return "rejected"
	case TypeReceipt:
		return "receipt"
	case TypeRoster:
		return "roster"
	case TypeKey:
		return "key"
	case TypeConfig:
		return "config"
	case TypeAccess:
		return "access"
	case TypeCheckpoint:
		return "checkpoint"
	case TypeRestart:
		return "restart"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// MarshalText implements encoding.TextMarshaler with the type's name.
func (t Type) MarshalText() ([]byte, error) {
	if !t.valid() {
		return nil, fmt.Errorf("unknown record type %d", uint8(t))
	}
	return []byte(t.String()), nil
}

// ParseType returns the type named s.
func ParseType(s string) (Type, error) {
	for _, t := range Types() {
		if t.String() == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown record type %q: must be one of sent, received, rejected, receipt, roster, key, config, access, checkpoint, restart", s)
}

// UnmarshalText implements encoding.TextUnmarshaler with the type's name.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
