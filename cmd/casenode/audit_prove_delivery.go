package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
)

// proveDelivery writes the delivery proof of message id to agency to
// (audit prove --delivery).
func proveDelivery(e *env, r *auditlog.Reader, db, id, to, out string, asJSON bool) error {
	d, err := evidence.ProveDelivery(r, id, to)
	switch {
	case errors.Is(err, evidence.ErrNotDelivered):
		return withHint(fmt.Errorf("audit prove: %w", err), "only a delivery the recipient acknowledged with a signed receipt can be proved; 'casenode outbox' on the node shows each copy's state")
	case errors.Is(err, auditlog.ErrNotCovered):
		return withHint(fmt.Errorf("audit prove: %w", err), "every commit of the log signs a checkpoint of all its records, so a record none covers was not written by the node: run 'casenode audit verify --db %s'", db)
	case errors.Is(err, auditlog.ErrNotFound):
		return withHint(fmt.Errorf("audit prove: %w", err), "--db must be the sender's log; 'casenode audit replay --db %s' lists its messages", db)
	case err != nil:
		return withHint(fmt.Errorf("audit prove: %w", err), "--to names the recipient when the message went to several agencies")
	}
	data, err := evidence.EncodeDelivery(d)
	if err != nil {
		return err
	}
	cp, _, err := auditlog.ParseCheckpoint([]byte(d.Checkpoint))
	if err != nil {
		return err
	}
	records := []int64{d.Sent.Index, d.Delivered.Index}
	if d.Read != nil {
		records = append(records, d.Read.Index)
	}
	if asJSON {
		// One JSON object on standard output: the proof itself is in it
		// when --out is standard output.
		res := struct {
			MessageID      string          `json:"message_id"`
			Read           bool            `json:"read"`
			Records        []int64         `json:"records"`
			CheckpointSize int64           `json:"checkpoint_size"`
			Root           string          `json:"root"`
			Out            string          `json:"out,omitempty"`
			Proof          json.RawMessage `json:"proof,omitempty"`
		}{MessageID: id, Read: d.Read != nil, Records: records, CheckpointSize: cp.Size, Root: cp.Root.String()}
		if out == "-" {
			res.Proof = data
		} else if err := writeNew(e, out, append(data, '\n'), 0o600); err != nil {
			return err
		} else {
			res.Out = out
		}
		return printJSON(e, res)
	}
	if err := writeNew(e, out, append(data, '\n'), 0o600); err != nil {
		return err
	}
	what := "delivery"
	if d.Read != nil {
		what = "delivery and read"
	}
	fmt.Fprintf(e.stderr, "proof of the %s of message %s (records %s) against the checkpoint of size %d: %d bytes\n", what, id, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(records)), ", "), "[]"), cp.Size, len(data)+1)
	return nil
}
