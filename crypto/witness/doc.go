// Package witness is casenode's implementation of the C2SP transparency-log
// witness (tlog-witness v1.0.0) and of Ed25519 cosignatures (tlog-cosignature
// v1): the add-checkpoint request and its answers, the checks a witness makes
// before it cosigns a checkpoint of a log (the log's signature, the
// consistency proof from the size it cosigned last, no rollback, no fork),
// and the cosignatures themselves, signed-note signature lines that anyone
// holding the witness's verifier key can check with a signed-note library.
//
// The package does no I/O: the hub (node/hub) serves it over NATS and keeps
// the witness's state in JetStream; nodes (node/agency) build requests and
// check the answers; auditors (node/auditlog) check the cosignatures.
package witness
