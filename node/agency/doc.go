// Package agency is an agency's node: it holds the agency's keys, keeps its
// connection to the network's hub, sends and receives sealed case messages
// and their receipts, and keeps the inbox, the outbox, the case threads and
// the contact directory.
//
// A node directory DIR holds the agency's identity (crypto/identity), its
// configuration node.json (package config), the hub credentials, and one
// bbolt file, audit.db: the audit log (node/auditlog), which holds the
// store (node/store) in a bucket of its own, so that a message and its
// audit records are one commit. Open loads them, converting once a
// directory of the earlier layout, whose store was node.db; Run connects to the hub and works until its context ends;
// the methods Send, Inbox, Show, Cases, Case, PublishContact, Contacts,
// Outbox and Status are what the local API (node/api) serves.
//
// Everything is made durable before it is acknowledged: a message is in
// the audit log and the outbox, in one commit, before Send returns and before it is
// published; a received message is in the audit log and the inbox before
// it is acknowledged to JetStream and before its delivered receipt goes
// back; a receipt is in the audit log before it is published.
// docs/OPERATOR.md states the contract with the hub that this package
// follows.
package agency
