// Package store is an agency node's local database: the inbox, the outbox
// with the state of each copy, the case threads, the contact directory, the
// roster in force, the queue of receipts to publish and the counters that
// status reports. It lives in the bucket "node" of the node's one bbolt
// file, DIR/audit.db, beside the audit log, which holds the file open
// (OpenIn): a message and its audit records are written in one
// transaction. (A node of the earlier layout kept it alone in DIR/node.db;
// Open still opens such a file.)
//
// Every change goes through one transaction (Store.Commit, or Store.Update),
// so that the inbox, its indexes and the counters never disagree. The audit
// log, not this store, is the record of what happened; the store is what
// the node needs to serve its users and to finish what it started.
package store
