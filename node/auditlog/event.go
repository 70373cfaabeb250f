package auditlog

import (
	"encoding/json"
	"slices"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/protocol"
)

// Event is what one record says, its payload decoded for reading: the
// fields the auditor's tools ('casenode audit replay', the auditor's
// console) tell and filter on. Describe decodes without checking any
// signature or trust: Verify does that.
type Event struct {
	// Record is the record itself.
	Record *Record
	// Message is the clear header of a sent or received message.
	Message *protocol.Header
	// Receipt is a receipt record's receipt.
	Receipt *protocol.Receipt
	// Rejection is a rejected record's payload.
	Rejection *Rejection
	// Roster is a roster record's roster.
	Roster *protocol.Roster
	// Card is a key record's member card.
	Card *protocol.MemberCard
	// Checkpoint is a checkpoint record's checkpoint, its signature
	// unchecked.
	Checkpoint *Checkpoint
	// Access is an access record's description, when it is one.
	Access *Access
	// Restart is a restart record's payload: the broken log it replaces.
	Restart *RestartRecord
	// Unreadable says why the payload could not be decoded, or is empty.
	Unreadable string
}

// Access is the payload of an access record: what someone at the agency
// did.
type Access struct {
	// Action is what was done ("read", "opened", …).
	Action string `json:"action"`
	// Direction is in or out, for an action on a message.
	Direction string `json:"direction,omitempty"`
	// Label is what a local client called itself.
	Label string `json:"label,omitempty"`
	// Alarm is the alarm acknowledged, for that action.
	Alarm string `json:"alarm,omitempty"`
	// Name, SHA256 and CipherSHA256 are an attachment's, for the records
	// of attachments received or refused; Detail says why one was refused.
	Name         string `json:"name,omitempty"`
	SHA256       string `json:"sha256,omitempty"`
	CipherSHA256 string `json:"cipher_sha256,omitempty"`
	Detail       string `json:"detail,omitempty"`
}

// Describe decodes the payload of rec for reading. payload need only be
// valid during the call: the Event keeps nothing of it.
func Describe(rec *Record, payload []byte) *Event {
	ev := &Event{Record: rec}
	var err error
	switch rec.Type {
	case TypeSent, TypeReceived:
		var env *seal.Envelope
		if env, _, err = seal.Parse(payload); err == nil {
			ev.Message = env.Header
		}
	case TypeReceipt:
		var p *jws.Parsed
		if p, err = jws.Parse(payload, protocol.ReceiptJWSType, maxReceiptJWS); err == nil {
			ev.Receipt, err = protocol.ParseReceipt(p.Payload)
		}
	case TypeRejected:
		ev.Rejection, err = DecodeRejection(payload)
	case TypeRoster:
		var p *jws.Parsed
		if p, err = jws.Parse(payload, protocol.RosterType, protocol.MaxSignedRosterSize); err == nil {
			ev.Roster, err = protocol.ParseRoster(p.Payload)
		}
	case TypeKey:
		ev.Card, err = protocol.ParseMemberCard(payload)
	case TypeCheckpoint:
		ev.Checkpoint, _, err = ParseCheckpoint(payload)
	case TypeRestart:
		ev.Restart, err = DecodeRestart(payload)
	case TypeAccess:
		var a Access
		if json.Unmarshal(payload, &a) == nil && a.Action != "" {
			ev.Access = &a
		}
	}
	if err != nil {
		ev.Unreadable = err.Error()
	}
	return ev
}

// Case returns the case the record is about: a message's case, or empty.
func (ev *Event) Case() string {
	if ev.Message != nil {
		return ev.Message.Case
	}
	return ""
}

// Agencies returns every agency the record names: its actor, a message's
// sender and recipients, a receipt's issuer and addressee, a rejection's
// publisher, a key record's agency, a roster's members.
func (ev *Event) Agencies() []string {
	as := []string{ev.Record.Actor}
	switch {
	case ev.Message != nil:
		as = append(append(as, ev.Message.From), ev.Message.To...)
	case ev.Receipt != nil:
		as = append(as, ev.Receipt.From, ev.Receipt.To)
	case ev.Rejection != nil && ev.Rejection.Publisher != "":
		as = append(as, ev.Rejection.Publisher)
	case ev.Card != nil:
		as = append(as, ev.Card.Agency)
	case ev.Roster != nil:
		for _, m := range ev.Roster.Members {
			as = append(as, m.Card.Agency)
		}
	}
	return as
}

// Involves says whether the record names agency (Agencies).
func (ev *Event) Involves(agency string) bool {
	return slices.Contains(ev.Agencies(), agency)
}
