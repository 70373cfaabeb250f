package node

import "io"

// AuditSnapshot writes a consistent copy of the audit log file to w, from
// one read transaction, while the node goes on appending. The copy is a
// bbolt file that 'casenode audit verify' reads.
func (n *Node) AuditSnapshot(w io.Writer) (int64, error) { return n.audit.Snapshot(w) }
