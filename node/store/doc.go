// Package store is an agency node's local database: the inbox, the outbox
// with the state of each copy, the case threads, the contact directory, the
// roster in force, the queue of receipts to publish and the counters that
// status reports. It lives in one bbolt file, DIR/node.db, that one node
// process holds at a time.
//
// Every change goes through one transaction (Store.Commit, or Store.Update),
// so that the inbox, its indexes and the counters never disagree. The audit
// log, not this store, is the record of what happened; the store is what
// the node needs to serve its users and to finish what it started.
package store
