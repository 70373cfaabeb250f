package auditlog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/casenode/casenode/crypto/witness"
	bolt "go.etcd.io/bbolt"
)

// bucketCosignatures holds the witnesses' cosignatures of the log's
// checkpoints: tree size → cosignature lines (C2SP tlog-cosignature), one
// per witness, to append to the stored checkpoint of that size. They are
// not records: a cosignature is checked on its own, with the witness's key,
// and says that the witness saw the checkpoint (docs/AUDIT.md). The bucket
// is made by the first cosignature a node stores.
const bucketCosignatures = "cosignatures"

// maxCosignatureLines bounds the cosignature lines kept per checkpoint.
const maxCosignatureLines = 16

// AddCosignatures stores cosignature lines of the stored checkpoint of
// size, after those already stored for it (a line stored already is not
// repeated). The caller has checked them against the witnesses' keys.
func (l *Log) AddCosignatures(size int64, lines []byte) error {
	if len(lines) == 0 || lines[len(lines)-1] != '\n' {
		return fmt.Errorf("store cosignatures: not signature lines")
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		b, err := readBuckets(tx)
		if err != nil {
			return err
		}
		if b.checkpoints.Get(itob(size)) == nil {
			return fmt.Errorf("store cosignatures: no checkpoint of size %d", size)
		}
		cb, err := tx.CreateBucketIfNotExists([]byte(bucketCosignatures))
		if err != nil {
			return fmt.Errorf("store cosignatures: %w", err)
		}
		cb.FillPercent = 1.0
		have := cb.Get(itob(size))
		merged := bytes.Clone(have)
		for _, line := range bytes.SplitAfter(lines, []byte("\n")) {
			if len(line) > 0 && !bytes.Contains(have, line) {
				merged = append(merged, line...)
			}
		}
		if bytes.Equal(merged, have) {
			return nil
		}
		if bytes.Count(merged, []byte("\n")) > maxCosignatureLines {
			return fmt.Errorf("store cosignatures: more than %d for the checkpoint of size %d", maxCosignatureLines, size)
		}
		return cb.Put(itob(size), merged)
	})
}

// CosignedCheckpoint is a stored checkpoint with the cosignature lines
// stored for it: together, a cosigned checkpoint in the C2SP form.
type CosignedCheckpoint struct {
	// Checkpoint is the log's signed checkpoint.
	Checkpoint *Checkpoint
	// Lines are the cosignature lines, unchecked.
	Lines []byte
}

// Note returns the cosigned checkpoint: the signed checkpoint with the
// cosignature lines appended.
func (c *CosignedCheckpoint) Note() []byte {
	return append(bytes.Clone(c.Checkpoint.Note), c.Lines...)
}

// LatestCosigned returns the newest checkpoint with stored cosignatures, or
// nil if there is none. Nothing is checked here: Verify does that.
func (r *Reader) LatestCosigned() (c *CosignedCheckpoint, err error) {
	err = r.db.View(func(tx *bolt.Tx) error {
		b, err := readBuckets(tx)
		if err != nil {
			return err
		}
		cb := tx.Bucket([]byte(bucketCosignatures))
		if cb == nil {
			return nil
		}
		k, lines := cb.Cursor().Last()
		if k == nil {
			return nil
		}
		signed := b.checkpoints.Get(k)
		if signed == nil {
			return fmt.Errorf("cosignatures of size %x without a checkpoint", k)
		}
		cp, _, err := ParseCheckpoint(signed)
		if err != nil {
			return err
		}
		c = &CosignedCheckpoint{Checkpoint: cp, Lines: bytes.Clone(lines)}
		return nil
	})
	return c, err
}

// Cosigned is what Verify found of one checkpoint's cosignatures.
type Cosigned struct {
	// Size is the checkpoint's tree size.
	Size int64
	// Witnesses name the witnesses whose cosignatures verified.
	Witnesses []string
	// Unknown counts the cosignatures by keys the roster does not list.
	Unknown int
}

// cosignatures checks the stored cosignatures against the witness keys:
// those of VerifyOptions.WitnessKeys and of the roster in force at the end
// of the log. A cosignature by a listed key that does not verify, or lines
// that are not signatures, are integrity failures; cosignatures by keys
// nobody listed are counted, not judged (C2SP: they are ignored).
func (v *verifier) cosignatures(tx *bolt.Tx) error {
	known, err := v.witnessVerifiers()
	if err != nil {
		return err
	}
	cb := tx.Bucket([]byte(bucketCosignatures))
	if cb != nil {
		c := cb.Cursor()
		for k, lines := c.First(); k != nil; k, lines = c.Next() {
			size, ok := btoi(k)
			signed := v.b.checkpoints.Get(k)
			if !ok || signed == nil {
				return v.failAt(KindIntegrity, size, "cosignatures of a checkpoint the log does not hold", "a stored checkpoint of this size", "none")
			}
			cosigs, unknown, err := witness.CheckCosigned(append(bytes.Clone(signed), lines...), known)
			if err != nil {
				return v.cosignatureFailure(size, err, "stored cosignature")
			}
			got := Cosigned{Size: size}
			for _, s := range cosigs {
				got.Witnesses = append(got.Witnesses, s.Witness)
			}
			// The log's own signature is among the unknown ones.
			got.Unknown = max(len(unknown)-1, 0)
			v.rep.Cosigned = append(v.rep.Cosigned, got)
			if len(got.Witnesses) > 0 {
				v.rep.NewestCosigned = max(v.rep.NewestCosigned, size)
			}
		}
	}
	if v.rep.Given != nil {
		cosigs, _, err := witness.CheckCosigned(v.rep.Given.Note, known)
		if err != nil {
			return v.cosignatureFailure(v.rep.Given.Size, err, "cosignature of the checkpoint given")
		}
		for _, s := range cosigs {
			v.rep.GivenCosigners = append(v.rep.GivenCosigners, s.Witness)
		}
	}
	return nil
}

// cosignatureFailure classifies a cosignature check's error.
func (v *verifier) cosignatureFailure(size int64, err error, what string) *VerifyError {
	if errors.Is(err, witness.ErrCosignature) {
		return v.failAt(KindIntegrity, size, what+" does not verify: "+err.Error(), "a valid cosignature", "an invalid one")
	}
	return v.failAt(KindIntegrity, size, what+": "+err.Error(), "", "")
}

// originAgency is the agency of a log's origin casenode/<net>/<agency>.
func originAgency(origin string) string {
	parts := strings.Split(origin, "/")
	return parts[len(parts)-1]
}

// witnessVerifiers are the verifiers of the witness keys the auditor gave
// and of those the roster in force at the end of the log lists.
func (v *verifier) witnessVerifiers() ([]*witness.Verifier, error) {
	keys := append([]string(nil), v.o.WitnessKeys...)
	if t := v.trail.Trust(); t != nil && t.Roster() != nil {
		// The roster's witnesses and, as peer witnesses, the other
		// members' keys (protocol.Roster.WitnessKeys).
		keys = append(keys, t.Roster().WitnessKeys(originAgency(v.origin))...)
	}
	seen := map[string]bool{}
	var out []*witness.Verifier
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		w, err := witness.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("witness key: %w", err)
		}
		out = append(out, w)
	}
	v.rep.WitnessKeys = len(out)
	return out, nil
}
