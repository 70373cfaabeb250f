//go:build !linux

package auditlog

import bolt "go.etcd.io/bbolt"

// readAhead does nothing here.
func readAhead(tx *bolt.Tx) {}

// readAheadDone does nothing here.
func readAheadDone(tx *bolt.Tx) {}

// releasePages does nothing here: the mapped pages the pass read stay
// resident until the kernel reclaims them.
func releasePages(tx *bolt.Tx) {}
