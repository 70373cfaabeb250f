// Package auditlog is a node's append-only, tamper-evident audit log: every
// message the node sent, received or rejected (the exact bytes as they
// travelled, and for what it received, the hub's storage time and stream
// sequence), receipts, roster and key changes, configuration changes and
// local actions such as a prosecutor reading a message.
//
// The log lives in one bbolt file: a node's audit.db, which also holds the
// node's store in a bucket of its own (StoreBucket), written in the log's
// transactions (AppendWith, Commit) so that a message and its records are
// one commit; snapshots leave the store out, and verify ignores it. Records have one canonical binary
// encoding (record.go) and form a hash chain; over them sits an RFC 6962
// Merkle tree stored with golang.org/x/mod/sumdb/tlog, and the log signs
// checkpoints of that tree in the C2SP tlog-checkpoint format with the
// agency's Ed25519 key. From the file alone, offline, an auditor can prove
// that no record was altered, and, with a checkpoint kept from earlier, that
// none was removed (Reader.Verify, docs/AUDIT.md).
//
// No unsigned tail: every commit signs. Appends from concurrent goroutines
// are grouped into one bbolt transaction and one fsync (group commit), and
// that transaction also stores the checkpoint of every record so far,
// signed (one signature per commit), in the checkpoints bucket under its
// size. There is no cadence to set, and the chain holds no checkpoint
// records (logs written before did; they still verify). A record whose
// Append has returned survives a crash or a power loss, covered by a signed
// checkpoint. So records that no signed checkpoint covers were written
// without the key: Open refuses to sign them (an *UncoveredError, or a log
// held with Options.HoldUncovered), Verify reports them (KindUncovered), and
// Restart starts a new log whose record 1 names the old one's last good
// checkpoint.
//
// The API appends, reads, iterates, proves and exports; nothing in it
// updates or deletes a record. A transaction that fails for want of space
// (ErrNoSpace) is rolled back and leaves the log as it was: the next append
// tries again, and WriteError says so meanwhile; any other failed write
// stops the log until it is opened again.
package auditlog
