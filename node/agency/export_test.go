package agency

import (
	"context"

	"github.com/casenode/casenode/node/auditlog"
)

// OfferRoster offers a signed roster as if the hub served it.
func (n *Node) OfferRoster(ctx context.Context, signed []byte) error {
	return n.takeRoster(ctx, signed)
}

// AppendAudit appends an audit record as the node would, without the
// store's side: what a crash between the two commits leaves.
func (n *Node) AppendAudit(ctx context.Context, e auditlog.Entry) error {
	_, err := n.audit.Append(ctx, e)
	return err
}

// AuditSize returns the number of records of the node's audit log.
func (n *Node) AuditSize() (int64, error) { return n.audit.Size() }
