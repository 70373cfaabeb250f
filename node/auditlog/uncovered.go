package auditlog

import (
	"crypto/ed25519"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// UncoveredError reports a log whose newest signed checkpoint does not
// cover every record. Every commit signs a checkpoint of all its records in
// the same transaction, so such records were not written by the log: someone
// wrote to the file without the agency's key. The log signs nothing more in
// that file.
type UncoveredError struct {
	// Path is the file.
	Path string
	// Records is how many records the file holds.
	Records int64
	// Checkpoint is the newest checkpoint the agency's key signed, or nil if
	// there is none: the records it covers are the log's.
	Checkpoint *Checkpoint
}

// Covered is how many records Checkpoint covers.
func (e *UncoveredError) Covered() int64 {
	if e.Checkpoint == nil {
		return 0
	}
	return e.Checkpoint.Size
}

// Error says which records are not covered.
func (e *UncoveredError) Error() string {
	return fmt.Sprintf("audit log %s holds %d records that no signed checkpoint covers (records %d to %d): they were written without the agency's key, and the node will not sign them",
		e.Path, e.Records-e.Covered(), e.Covered(), e.Records-1)
}

// Hint says what the operator must do.
func (e *UncoveredError) Hint() string {
	return "keep the file as evidence (do not delete or edit it), check a copy with 'casenode audit verify', then run 'casenode audit restart-log --dir NODE_DIR': it moves the file aside and starts a new log whose first records name the old log's last signed checkpoint"
}

// newestCheckpoint returns the newest stored checkpoint of a log of n
// records, once its signature by the log's key (or a previous one) and its
// root, against the stored tree hashes, are checked; nil if there is none.
func (l *Log) newestCheckpoint(b *buckets, n int64) (*Checkpoint, error) {
	k, v := b.checkpoints.Cursor().Last()
	if k == nil {
		return nil, nil
	}
	keys := append([]ed25519.PublicKey{l.opts.Card.PublicKey()}, l.opts.PreviousKeys...)
	var vs []note.Verifier
	for _, key := range keys {
		v, err := NewVerifier(l.origin, key)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	cp, err := OpenCheckpoint(v, note.VerifierList(vs...))
	if err != nil {
		return nil, fmt.Errorf("newest checkpoint: not signed by the agency's key: %v", err)
	}
	if size, ok := btoi(k); !ok || size != cp.Size || cp.Origin != l.origin {
		return nil, fmt.Errorf("newest checkpoint: stored under size %x, but of size %d of %s", k, cp.Size, cp.Origin)
	}
	if cp.Size > n {
		return nil, fmt.Errorf("it has %d records but a checkpoint of %d: it was truncated or restored from a backup", n, cp.Size)
	}
	if h, err := tlog.TreeHash(cp.Size, bucketHashReader(b.hashes)); err != nil || h != cp.Root {
		return nil, fmt.Errorf("the tree no longer matches the checkpoint of size %d", cp.Size)
	}
	return cp, nil
}
