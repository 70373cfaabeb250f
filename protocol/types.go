package protocol

import "fmt"

// MessageType names the kind of body a sealed message carries.
type MessageType string

// The message types of protocol version 1.
const (
	TypeLead    MessageType = "case.lead"
	TypeRequest MessageType = "case.request"
	TypeReply   MessageType = "case.reply"
	TypeStatus  MessageType = "case.status"
	TypeContact MessageType = "contact.card"
	TypeReceipt MessageType = "receipt"
)

// MessageTypes returns every message type in a stable order.
func MessageTypes() []MessageType {
	return []MessageType{TypeLead, TypeRequest, TypeReply, TypeStatus, TypeContact, TypeReceipt}
}

// ParseMessageType checks that s names a known message type.
func ParseMessageType(s string) (MessageType, error) {
	for _, t := range MessageTypes() {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown message type %q: must be one of case.lead, case.request, case.reply, case.status, contact.card, receipt", s)
}
