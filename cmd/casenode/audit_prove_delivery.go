package main

import (
	"errors"
	"fmt"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
)

// proveDelivery writes the delivery proof of message id to agency to
// (audit prove --delivery).
func proveDelivery(e *env, r *auditlog.Reader, db, id, to, out string) error {
	d, err := evidence.ProveDelivery(r, id, to)
	switch {
	case errors.Is(err, evidence.ErrNotDelivered):
		return withHint(fmt.Errorf("audit prove: %w", err), "only a delivery the recipient acknowledged with a signed receipt can be proved; 'casenode outbox' on the node shows each copy's state")
	case errors.Is(err, auditlog.ErrNotCovered):
		return withHint(fmt.Errorf("audit prove: %w", err), "take a newer snapshot once the node has signed a checkpoint covering the receipts, or stop the node (it signs one when it stops) and prove from its audit.db")
	case errors.Is(err, auditlog.ErrNotFound):
		return withHint(fmt.Errorf("audit prove: %w", err), "--db must be the sender's log; 'casenode audit replay --db %s' lists its messages", db)
	case err != nil:
		return withHint(fmt.Errorf("audit prove: %w", err), "--to names the recipient when the message went to several agencies")
	}
	data, err := evidence.EncodeDelivery(d)
	if err != nil {
		return err
	}
	if err := writeNew(e, out, append(data, '\n'), 0o600); err != nil {
		return err
	}
	read := ""
	if d.Read != nil {
		read = " and read"
	}
	cp, _, err := auditlog.ParseCheckpoint([]byte(d.Checkpoint))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "proof of the delivery%s of message %s (records %d, %d", read, id, d.Sent.Index, d.Delivered.Index)
	if d.Read != nil {
		fmt.Fprintf(e.stderr, ", %d", d.Read.Index)
	}
	fmt.Fprintf(e.stderr, ") against the checkpoint of size %d: %d bytes\n", cp.Size, len(data)+1)
	return nil
}
