package protocol

import "strings"

// NATS names used by a network. Subjects carry routing only: ids and message
// types, never free text. Every token is a validated identifier, so none
// contains a dot or a wildcard.

// MessageSubject is the subject a message from one agency to another is
// stored under in the hub's stream: casenet.<network>.msg.<from>.<to>.<type>.
func MessageSubject(network, from, to string, t MessageType) string {
	return "casenet." + network + ".msg." + from + "." + to + "." + string(t)
}

// IngestSubject is the subject a node publishes a message from one agency
// to another on: casenet.<network>.in.<from>.<to>.<type>. The hub stores
// it under MessageSubject and answers with the stream's acknowledgement
// once it is on disk.
func IngestSubject(network, from, to string, t MessageType) string {
	return "casenet." + network + ".in." + from + "." + to + "." + string(t)
}

// IngestFilter matches every publication the hub takes in.
func IngestFilter(network string) string { return "casenet." + network + ".in.>" }

// StoredSubject maps an ingest subject to the subject the message is stored
// under; ok is false when subject is not an ingest subject of network.
func StoredSubject(network, subject string) (stored string, ok bool) {
	rest, ok := strings.CutPrefix(subject, "casenet."+network+".in.")
	if !ok || rest == "" {
		return "", false
	}
	return "casenet." + network + ".msg." + rest, true
}

// InboxFilter matches every message addressed to agency.
func InboxFilter(network, agency string) string {
	return "casenet." + network + ".msg.*." + agency + ".>"
}

// SenderFilter matches every message agency may publish, on its ingest
// subjects: any recipient, any type. Types span two tokens (contact.card),
// so the filter ends in ">".
func SenderFilter(network, agency string) string {
	return "casenet." + network + ".in." + agency + ".*.>"
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
