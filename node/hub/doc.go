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
//	creds/AGENCY.creds  credentials written for hand-over (secret, 0600)
//	jetstream/          JetStream's files
//
// The secretariat changes the roster with the functions of Secretariat,
// which write roster.jws and users.json atomically under a lock; a running
// Hub notices the change, reconfigures its users and consumers and
// publishes the new roster. docs/OPERATOR.md is the operator's guide and
// states the contract between a node and its hub.
package hub
