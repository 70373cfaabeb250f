package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/casenode/casenode/node/auditlog"
)

func runAuditProve(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit prove", "")
	db := fs.String("db", "", "the audit log file: a copy, opened read-only (required)")
	index := fs.Int64("index", -1, "the index of the record to prove (required, unless --delivery)")
	delivery := fs.String("delivery", "", "instead of one record, prove the delivery of this message (an id the log sent): its sent record, the recipient's signed receipts, the checkpoint and the roster, in one file")
	to := fs.String("to", "", "with --delivery: the recipient whose delivery to prove, when the message went to several")
	out := fs.String("out", "-", "the new file to write the proof to; - is standard output")
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *delivery != "" {
		if *index >= 0 {
			return usageErrorf("audit prove", "--delivery proves a message's delivery: give it without --index")
		}
		r, err := openAuditLog("audit prove", *db)
		if err != nil {
			return err
		}
		defer r.Close()
		return proveDelivery(e, r, *db, *delivery, *to, *out, *asJSON)
	}
	if *to != "" {
		return usageErrorf("audit prove", "--to goes with --delivery")
	}
	if *index < 0 {
		return usageErrorf("audit prove", "--index is required: the record's index, as 'casenode audit replay' shows it after #")
	}
	r, err := openAuditLog("audit prove", *db)
	if err != nil {
		return err
	}
	defer r.Close()
	size, err := r.Size()
	if err != nil {
		return fmt.Errorf("audit prove: %w", err)
	}
	if *index >= size {
		return withHint(fmt.Errorf("audit prove: record %d does not exist: the log holds %s, 0 to %d", *index, count(size, "record", "records"), size-1),
			"'casenode audit replay --db %s' lists the records with their index after #", *db)
	}
	p, err := r.Prove(*index)
	if err != nil {
		return withHint(fmt.Errorf("audit prove: %w", err), "every commit of the log signs a checkpoint of all its records, so a record none covers was not written by the node: run 'casenode audit verify --db %s'", *db)
	}
	data, err := auditlog.EncodeProof(p)
	if err != nil {
		return err
	}
	cp, _, err := auditlog.ParseCheckpoint([]byte(p.Checkpoint))
	if err != nil {
		return err
	}
	if *asJSON {
		// One JSON object on standard output: the proof itself is in it
		// when --out is standard output.
		res := struct {
			Index          int64           `json:"index"`
			CheckpointSize int64           `json:"checkpoint_size"`
			Root           string          `json:"root"`
			Hashes         int             `json:"hashes"`
			Out            string          `json:"out,omitempty"`
			Proof          json.RawMessage `json:"proof,omitempty"`
		}{Index: p.Index, CheckpointSize: cp.Size, Root: cp.Root.String(), Hashes: len(p.Hashes)}
		if *out == "-" {
			res.Proof = data
		} else if err := writeNew(e, *out, append(data, '\n'), 0o600); err != nil {
			return err
		} else {
			res.Out = *out
		}
		return printJSON(e, res)
	}
	if err := writeNew(e, *out, append(data, '\n'), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "proof of record %d against the checkpoint of size %d (root %s): %s\n", p.Index, cp.Size, cp.Root, count(len(p.Hashes), "hash", "hashes"))
	return nil
}
