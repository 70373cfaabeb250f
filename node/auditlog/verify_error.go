package auditlog

import (
	"fmt"
	"strings"
)

// Kind is the kind of a verification failure; each has its own exit code
// in 'casenode audit verify' (docs/AUDIT.md).
type Kind int

// The kinds of verification failure.
const (
	// KindIntegrity: the file is not what the log wrote — a record, a
	// payload, a tree hash or a checkpoint was altered, added or removed in
	// the middle, or is not in canonical encoding.
	KindIntegrity Kind = 1
	// KindTruncation: the log is shorter than a checkpoint signed earlier —
	// its newest records were removed, or it was restored from a backup.
	KindTruncation Kind = 2
	// KindFork: the log is not the one a checkpoint signed earlier saw — it
	// was rewritten (and re-signed) since.
	KindFork Kind = 3
	// KindTrust: something is signed by a key not trusted at that point —
	// another agency's log, a checkpoint by an unknown key, a message whose
	// signature does not verify with the cards the log trusted then.
	KindTrust Kind = 4
	// KindUncovered: records no signed checkpoint covers. Every commit
	// signs a checkpoint of all its records in the same transaction, so
	// they were written without the agency's key.
	KindUncovered Kind = 5
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindIntegrity:
		return "integrity"
	case KindTruncation:
		return "truncation"
	case KindFork:
		return "fork"
	case KindTrust:
		return "trust"
	case KindUncovered:
		return "uncovered"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// VerifyError is the first failure verification found.
type VerifyError struct {
	// Kind is the kind of failure.
	Kind Kind
	// Index is the record where the failure is, or, when AtCheckpoint, the
	// tree size of the checkpoint that fails (the records before it are
	// the ones it covers).
	Index int64
	// AtCheckpoint says that Index is a checkpoint's tree size.
	AtCheckpoint bool
	// Through, when above Index, says that the fault lies somewhere in
	// records Index to Through, which a signed checkpoint no longer
	// matches: a record among them was altered, removed or inserted, and
	// the hashes recomputed, so that nothing but that checkpoint's root
	// tells. (With AtCheckpoint, Index is a tree size and Through is 0.)
	Through int64
	// What names the check that failed ("previous-record hash", "tree
	// hash 12", "checkpoint signature", …).
	What string
	// Expected and Found are the values that differ, when there are two.
	Expected, Found string
	// LastGood is the newest stored checkpoint verified before the failure,
	// or nil.
	LastGood *Checkpoint
}

// Error returns the failure on one line.
func (e *VerifyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failure at %s: %s", e.Kind, e.Where(), e.What)
	if e.Expected != "" || e.Found != "" {
		fmt.Fprintf(&b, ": expected %s, found %s", e.Expected, e.Found)
	}
	if e.LastGood != nil {
		fmt.Fprintf(&b, "; last good checkpoint: %s", e.LastGood)
	} else {
		b.WriteString("; no good checkpoint before it")
	}
	return b.String()
}

// Where names the place of the failure: "record 17" or "checkpoint of size
// 4096".
func (e *VerifyError) Where() string {
	switch {
	case e.AtCheckpoint:
		return fmt.Sprintf("checkpoint of size %d", e.Index)
	case e.Through > e.Index:
		return fmt.Sprintf("records %d to %d", e.Index, e.Through)
	}
	return fmt.Sprintf("record %d", e.Index)
}
