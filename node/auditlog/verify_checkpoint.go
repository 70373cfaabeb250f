package auditlog

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// checkpointsAt checks the stored checkpoint of size i, and the given one,
// once the pass has added record i-1 to the tree: signature by the log's
// own key in force at that point, origin, and root.
func (v *verifier) checkpointsAt(i int64) error {
	stored, isStored := v.cpVal, v.cpSize == i
	isGiven := v.given != nil && v.given.Size == i
	if !isStored && !isGiven {
		return nil
	}
	root, err := tlog.TreeHash(i, v.frontier)
	if err != nil {
		return v.failAt(KindIntegrity, i, err.Error(), "", "")
	}
	if isStored {
		cp, err := v.storedCheckpoint(i, stored)
		if err != nil {
			return err
		}
		if cp.Origin != v.origin {
			return v.failAt(KindTrust, i, "checkpoint origin", v.origin, cp.Origin)
		}
		if cp.Size != i {
			return v.failAt(KindIntegrity, i, "checkpoint stored under the wrong size", fmt.Sprint(i), fmt.Sprint(cp.Size))
		}
		if cp.Root != root {
			return v.altered(i, fmt.Sprintf("the checkpoint of size %d does not match the records' root hash", i), cp.Root.String(), root.String())
		}
		v.lastGood = cp
		v.rep.Checkpoints++
		if err := v.nextCheckpoint(); err != nil {
			return err
		}
	}
	if isGiven {
		cp, err := v.openGiven()
		if err != nil {
			return err
		}
		if cp.Root != root {
			// The stored checkpoints of a rewritten log verify, so none of
			// them is "good" against the auditor's.
			e := v.failAt(KindFork, i, fmt.Sprintf("the log differs from the checkpoint given within its first %d records: root hash", i), cp.Root.String(), root.String())
			e.LastGood = nil
			return e
		}
		v.rep.Given = cp
	}
	return nil
}

// signatureFailure classifies an OpenCheckpoint error at checkpoint size i:
// an unknown key is a trust failure, a wrong signature or a malformed note
// an integrity failure.
func (v *verifier) signatureFailure(i int64, err error, what string) *VerifyError {
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		found := "no signature"
		if sigs := unverified.Note.UnverifiedSigs; len(sigs) > 0 {
			found = fmt.Sprintf("a signature by %s+%08x", sigs[0].Name, sigs[0].Hash)
		}
		return v.failAt(KindTrust, i, what+" is not signed by the log's key in force", v.ownKeyName(), found)
	case errors.As(err, &invalid):
		return v.failAt(KindIntegrity, i, what+" signature does not verify", "a valid signature by "+v.ownKeyName(), "an invalid one")
	}
	return v.failAt(KindIntegrity, i, what+" encoding: "+err.Error(), "", "")
}

// ownKeyName names the own key in force as a note key: origin+hash.
func (v *verifier) ownKeyName() string {
	if v.trail.Trust() == nil {
		return v.origin
	}
	return fmt.Sprintf("%s+%08x (kid %s)", v.origin, v.trail.Trust().verifier.KeyHash(), v.trail.Trust().Own().KeyID())
}

// openGiven checks the signature of the given checkpoint: by one of the
// log's own keys seen so far, or by the anchor card's key.
func (v *verifier) openGiven() (*Checkpoint, error) {
	var list []note.Verifier
	seen := map[uint32]bool{}
	keys := v.ownKeys
	if v.o.Card != nil {
		keys = append(keys[:len(keys):len(keys)], v.o.Card)
	}
	for _, c := range keys {
		nv, err := NewVerifier(v.origin, c.PublicKey())
		if err != nil {
			return nil, v.failAt(KindTrust, v.given.Size, "the checkpoint given: "+err.Error(), "", "")
		}
		if !seen[nv.KeyHash()] {
			seen[nv.KeyHash()] = true
			list = append(list, nv)
		}
	}
	cp, err := OpenCheckpoint(v.given.Note, note.VerifierList(list...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return nil, v.failAt(KindTrust, v.given.Size, "the checkpoint given is not signed by this log's key", v.origin+" key "+kids(keys), fmt.Sprintf("%d unknown signature(s)", len(unverified.Note.UnverifiedSigs)))
		}
		return nil, v.failAt(KindTrust, v.given.Size, "the checkpoint given: "+err.Error(), "", "")
	}
	return cp, nil
}

// truncated reports a checkpoint of size beyond the log's end, once its
// signature is checked: the log lost its newest records.
func (v *verifier) truncated(size int64, signed []byte, given bool) error {
	n := v.rep.Records
	what := "a stored checkpoint"
	if given {
		what = "the checkpoint given"
		if _, err := v.openGiven(); err != nil {
			return err
		}
	} else if _, err := OpenCheckpoint(signed, v.trail.Trust().checkpointVerifiers()); err != nil {
		return v.signatureFailure(size, err, "checkpoint")
	}
	return v.fail(KindTruncation, n, what+" covers more records than the log holds: its newest records were removed, or it was restored from a backup", fmt.Sprintf("at least %d records", size), fmt.Sprintf("%d", n))
}

// proveGiven proves, with a tlog consistency proof from the stored tree
// hashes, that the whole log extends the given checkpoint.
func (v *verifier) proveGiven() error {
	n := v.rep.Records
	g := v.rep.Given
	if g == nil {
		return v.failAt(KindIntegrity, v.given.Size, "the checkpoint given was not reached", "", "")
	}
	root, err := tlog.TreeHash(n, v.frontier)
	if err != nil {
		return v.failAt(KindIntegrity, n, err.Error(), "", "")
	}
	proof, err := tlog.ProveTree(n, g.Size, bucketHashReader(v.b.hashes))
	if err == nil {
		err = tlog.CheckTree(proof, n, root, g.Size, g.Root)
	}
	if err != nil {
		e := v.failAt(KindFork, g.Size, "consistency proof from the checkpoint given to the log: "+err.Error(), "", "")
		e.LastGood = nil
		return e
	}
	return nil
}

// storedCheckpoint decodes the stored checkpoint of size i. Its signature,
// by the log's own key in force here, is checked at once for the newest
// checkpoint, and on the workers for the others (there is one per commit);
// a failure there is reported at its size all the same.
func (v *verifier) storedCheckpoint(i int64, stored []byte) (*Checkpoint, error) {
	verifiers := v.trail.Trust().checkpointVerifiers()
	if i >= v.newestCheckpoint {
		cp, err := OpenCheckpoint(stored, verifiers)
		if err != nil {
			return nil, v.signatureFailure(i, err, "checkpoint")
		}
		return cp, nil
	}
	cp, _, err := ParseCheckpoint(stored)
	if err != nil {
		return nil, v.signatureFailure(i, err, "checkpoint")
	}
	fail := *v // the failure's context as of now
	v.msgs.addSignature(i, func() *VerifyError {
		if _, err := OpenCheckpoint(stored, verifiers); err != nil {
			return fail.signatureFailure(i, err, "checkpoint")
		}
		return nil
	})
	return cp, nil
}
