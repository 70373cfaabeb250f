package agency

import (
	"context"
	"io"
)

// AuditSnapshot writes a consistent copy of the audit log file to w, from
// one read transaction, while the node goes on appending. The copy is a
// bbolt file that 'casenode audit verify' reads. It first waits for the
// records already queued: the store and the audit log commit at the same
// time, and the copy holds the record of everything the store shows. A
// failed log is copied as it is.
func (n *Node) AuditSnapshot(w io.Writer) (int64, error) {
	_ = n.audit.Flush(context.Background())
	return n.audit.Snapshot(w)
}
