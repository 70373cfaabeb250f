// Package hub runs a network's hub, an embedded NATS JetStream server, and
// keeps the hub directory that the secretariat manages.
//
// A hub directory H holds:
//
//	hub.json            the configuration (package config)
//	secretariat/        the secretariat's identity: it is a member like any
//	                    agency and its key signs the roster
//	roster.jws          the roster in force, signed by the secretariat
//	users.json          the NKey public key of each agency and of the admin user
//	admin.creds         the admin user's NKey seed (secret, 0600)
//	witness.key         the hub witness's Ed25519 key (secret, 0600), which
//	                    cosigns the members' checkpoints (witness.go)
//	creds/AGENCY.creds  credentials written for hand-over (secret, 0600),
//	                    with mutual TLS also AGENCY.crt and AGENCY.key
//	tls/                with TLS: the network CA (ca.crt; its key ca.key,
//	                    secret) and the hub's certificate (hub.crt, hub.key)
//	jetstream/          JetStream's files
//
// The secretariat changes the roster with the methods of Secretariat (Add,
// Revoke, Rotate, RevokeKey, Renew), which write roster.jws and users.json
// atomically under a lock; a running Hub notices the change, reconfigures
// its users (an agency no longer active is disconnected) and consumers and
// publishes the new roster. Only active members have a NATS user with the
// permissions of the node connection contract and nothing more (a revoked
// one may read the roster). Each member agency's user is alone in a NATS
// account of its own, which imports from the hub's account (JetStream and
// the hub's own users) only that member's subjects, so that whatever the
// hub answers a member lands in that member's account (accounts.go).
//
// Nodes publish on casenet.NET.in.FROM.TO.TYPE; the hub's ingest stores
// each publication in the messages stream under casenet.NET.msg.FROM.TO.TYPE
// and, with sync "always", answers only after it has fsynced the stream's
// block files, once for every group of publications (ingest.go,
// blocksync.go). Nothing a member sends is trusted: the publisher is the
// agency of the account the server says the publication came from, and the
// FROM token, which the member's permissions fix, must agree; the ingest
// stamps it
// (protocol.PublisherHeader), scopes the de-duplication id to it, charges
// it to the member's limits (limits.go), takes publications only for active
// members, and answers only inside the publisher's own reply space. The
// hub's own connections (service, ingest, answers) each have only the
// permissions their work needs, so that NATS denies a mistake too.
//
// docs/OPERATOR.md is the operator's guide and states the contract between
// a node and its hub; docs/SECURITY.md is the threat model.
package hub
