package witness

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The answers of a witness, with the HTTP status codes of tlog-witness: a
// NATS answer carries the code in its StatusHeader.
const (
	StatusOK            = 200 // cosigned: the body is the cosignature lines
	StatusBadRequest    = 400 // malformed request, or old size beyond the checkpoint's
	StatusForbidden     = 403 // no valid signature by the log's key
	StatusNotFound      = 404 // not the requester's own log
	StatusConflict      = 409 // old size is not the witness's: the body is its size
	StatusUnprocessable = 422 // the proof does not verify, or a fork
	StatusUnavailable   = 503 // the witness could not record its state: try again later
)

// StatusHeader is the NATS header of a witness's answer that carries its
// status code, in decimal.
const StatusHeader = "Witness-Status"

// Evidence kinds: what a refused checkpoint proves about the log, beyond a
// mistake of its node. Both the refused checkpoint and the witness's are
// signed by the log's key.
const (
	// EvidenceFork: a checkpoint of the size the witness cosigned, with
	// another root hash — two histories of one log.
	EvidenceFork = "fork"
	// EvidenceRollback: a checkpoint smaller than the one the witness
	// cosigned — the log went back to an earlier state.
	EvidenceRollback = "rollback"
	// EvidenceInconsistent: a larger checkpoint whose consistency proof
	// from the witness's checkpoint does not verify.
	EvidenceInconsistent = "inconsistent"
)

// Latest is the witness's state for one log: the checkpoint it cosigned
// last. A log it never cosigned has none (a nil *Latest).
type Latest struct {
	Size int64
	Root tlog.Hash
}

// Verdict is the witness's judgement of a request.
type Verdict struct {
	// Status is the answer's status code.
	Status int
	// Reason says why it refused, for the log and the requester.
	Reason string
	// Checkpoint is the submitted checkpoint, once it is known to be
	// signed by the log's key.
	Checkpoint *Checkpoint
	// Evidence is set when the refused checkpoint is evidence against the
	// log (EvidenceFork, …): the witness records it.
	Evidence string
}

// Check judges an add-checkpoint request for the log origin, whose keys
// are logKeys, against the witness's state latest (nil if it never cosigned
// this log), in the order tlog-witness gives. A Status of StatusOK means the
// witness may cosign once it has recorded the new state atomically.
func Check(req *Request, origin string, logKeys note.Verifiers, latest *Latest) Verdict {
	// The origin first: a checkpoint of another log is unknown here (404),
	// whoever signed it.
	_, err := note.Open(req.Checkpoint, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return Verdict{Status: StatusBadRequest, Reason: fmt.Sprintf("the checkpoint is not a signed note: %v", err)}
	}
	cp, err := ParseCheckpointText(unverified.Note.Text)
	if err != nil {
		return Verdict{Status: StatusBadRequest, Reason: err.Error()}
	}
	if cp.Origin != origin {
		return Verdict{Status: StatusNotFound, Reason: fmt.Sprintf("origin %q is not the requester's log %q", cp.Origin, origin)}
	}
	_, err = note.Open(req.Checkpoint, logKeys)
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return Verdict{Status: StatusForbidden, Reason: "the checkpoint has no signature by the log's key"}
	case errors.As(err, &invalid):
		return Verdict{Status: StatusForbidden, Reason: "the checkpoint's signature by the log's key does not verify"}
	case err != nil:
		return Verdict{Status: StatusBadRequest, Reason: "the checkpoint is not a signed note: " + err.Error()}
	}
	v := Verdict{Checkpoint: cp}
	var have int64
	if latest != nil {
		have = latest.Size
		switch {
		case cp.Size < latest.Size:
			v.Evidence = EvidenceRollback
		case cp.Size == latest.Size && cp.Root != latest.Root:
			v.Evidence = EvidenceFork
		}
	}
	if req.Old > cp.Size {
		v.Status, v.Reason = StatusBadRequest, fmt.Sprintf("old size %d is beyond the checkpoint's size %d", req.Old, cp.Size)
		return v
	}
	if req.Old != have {
		v.Status, v.Reason = StatusConflict, fmt.Sprintf("the witness cosigned size %d, not %d", have, req.Old)
		return v
	}
	if v.Evidence == EvidenceFork {
		v.Status, v.Reason = StatusUnprocessable, fmt.Sprintf("another checkpoint of size %d was cosigned, with another root hash: a fork", cp.Size)
		return v
	}
	if cp.Size == 0 && cp.Root != emptyRoot() {
		v.Status, v.Reason = StatusUnprocessable, "a checkpoint of size 0 must have the empty tree's root hash"
		return v
	}
	if req.Old == 0 || req.Old == cp.Size {
		if len(req.Proof) != 0 {
			v.Status, v.Reason = StatusUnprocessable, "no consistency proof is due from this old size"
			return v
		}
		return Verdict{Status: StatusOK, Checkpoint: cp}
	}
	if err := tlog.CheckTree(req.Proof, cp.Size, cp.Root, latest.Size, latest.Root); err != nil {
		v.Status, v.Reason, v.Evidence = StatusUnprocessable, "the consistency proof from the cosigned checkpoint does not verify", EvidenceInconsistent
		return v
	}
	return Verdict{Status: StatusOK, Checkpoint: cp}
}

// emptyRoot is the root hash of the empty tree: SHA-256 of nothing
// (RFC 6962, 2.1).
func emptyRoot() tlog.Hash { return sha256.Sum256(nil) }

// LogVerifiers returns the verifiers of a log's checkpoint signatures, one
// per Ed25519 key the log may have signed with (its current key and the
// earlier ones its roster entry lists), under the log's origin.
func LogVerifiers(origin string, keys []ed25519.PublicKey) (note.Verifiers, error) {
	var list []note.Verifier
	for _, k := range keys {
		vkey, err := note.NewEd25519VerifierKey(origin, k)
		if err != nil {
			return nil, err
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return note.VerifierList(list...), nil
}
