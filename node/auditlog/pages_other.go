//go:build !linux

package auditlog

import bolt "go.etcd.io/bbolt"

// releasePages does nothing here: the mapped pages the pass read stay
// resident until the kernel reclaims them.
func releasePages(tx *bolt.Tx) {}
