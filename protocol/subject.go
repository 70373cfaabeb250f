package protocol

import "strings"

// NATS names used by a network. Subjects carry routing only: ids and message
// types, never free text. Every token is a validated identifier, so none
// contains a dot or a wildcard.

// MessageSubject is the subject a message from one agency to another is
// published on: casenet.<network>.msg.<from>.<to>.<type>.
func MessageSubject(network, from, to string, t MessageType) string {
	return "casenet." + network + ".msg." + from + "." + to + "." + string(t)
}

// InboxFilter matches every message addressed to agency.
func InboxFilter(network, agency string) string {
	return "casenet." + network + ".msg.*." + agency + ".>"
}

// SenderFilter matches every message agency may publish: any recipient,
// any type. Types span two tokens (case.lead), so the filter ends in ">".
func SenderFilter(network, agency string) string {
	return "casenet." + network + ".msg." + agency + ".*.>"
}

// StreamName is the JetStream stream holding a network's messages.
func StreamName(network string) string { return "casenet-" + network + "-messages" }

// StreamSubjects is the subject filter of the messages stream.
func StreamSubjects(network string) string { return "casenet." + network + ".msg.>" }

// ConsumerName is the durable consumer from which agency pulls its messages.
func ConsumerName(agency string) string { return "inbox-" + agency }

// RosterBucket is the JetStream key-value bucket holding the signed roster
// under RosterKey.
func RosterBucket(network string) string { return "casenet-" + network + "-roster" }

// RosterKey is the key of the current roster in RosterBucket.
const RosterKey = "roster"

// InboxPrefix is agency's own request/reply inbox prefix: no other agency may
// subscribe to it.
func InboxPrefix(agency string) string { return "_INBOX_" + strings.ReplaceAll(agency, "-", "_") }

// PublishID is the Nats-Msg-Id of a message's copy for one recipient.
func PublishID(messageID, recipient string) string { return messageID + ":" + recipient }
