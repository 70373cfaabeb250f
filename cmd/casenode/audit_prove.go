package main

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/node/auditlog"
)

func runAuditProve(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit prove", "")
	db := fs.String("db", "", "the audit log file: a copy, opened read-only (required)")
	index := fs.Int64("index", -1, "the index of the record to prove (required)")
	out := fs.String("out", "-", "the new file to write the proof to; - is standard output")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *index < 0 {
		return usageErrorf("audit prove", "--index is required: the record's index, as 'casenode audit replay' shows it after #")
	}
	r, err := openAuditLog("audit prove", *db)
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := r.Prove(*index)
	if err != nil {
		return withHint(fmt.Errorf("audit prove: %w", err), "only records that a signed checkpoint covers can be proved; the node signs one every few thousand records, every minute and when it stops")
	}
	data, err := auditlog.EncodeProof(p)
	if err != nil {
		return err
	}
	if err := writeNew(e, *out, append(data, '\n'), 0o600); err != nil {
		return err
	}
	cp, _, err := auditlog.ParseCheckpoint([]byte(p.Checkpoint))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "proof of record %d against the checkpoint of size %d (root %s): %d hashes\n", p.Index, cp.Size, cp.Root, len(p.Hashes))
	return nil
}
