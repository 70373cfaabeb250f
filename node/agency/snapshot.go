package agency

import (
	"context"
	"io"
)

// AuditSnapshot writes a consistent copy of the audit log file to w, from
// one read transaction, while the node goes on appending. The copy is a
// bbolt file that 'casenode audit verify' reads. It first waits for the
// records already queued: the store and the audit log commit at the same
// time, and the copy holds the record of everything the store shows. Every
// commit signs a checkpoint of all its records, so the whole copy can be
// verified and any record in it proved. A failed log is copied as it is.
func (n *Node) AuditSnapshot(w io.Writer) (int64, error) {
	if err := n.audit.Flush(context.Background()); err != nil {
		n.log.Warn("audit snapshot: the log takes no records; copying it as it is", "err", err)
	}
	return n.audit.Snapshot(w)
}
