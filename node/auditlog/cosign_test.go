package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/witness"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// testWitness is a witness's key: a real Ed25519 cosigner.
func testWitness(t *testing.T, seed byte) *witness.Cosigner {
	t.Helper()
	c, err := witness.NewCosigner("casenode/wacap/witness/hub", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cosign returns the cosignature line of cp by w.
func cosign(w *witness.Cosigner, cp *Checkpoint) []byte {
	return w.Cosign([]byte(checkpointText(cp.Origin, cp.Size, cp.Root)), time.Now())
}

// stripCheckpoints removes every stored checkpoint and every checkpoint
// record, puts a forged record in at k and rebuilds the chain and the tree:
// what an attacker with the file but not the key can do.
func stripCheckpoints(t *testing.T, f *tamperFixture, k int) {
	t.Helper()
	forged := []byte("a message the node never received")
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		var rs []*Record
		var ps [][]byte
		for i := range recs {
			if i == k {
				rs = append(rs, &Record{Time: recs[k].Time, Type: TypeReceived, Actor: f.peer.card.Agency, PayloadHash: sha256.Sum256(forged), PayloadSize: int64(len(forged))})
				ps = append(ps, forged)
			}
			if recs[i].Type != TypeCheckpoint {
				rs, ps = append(rs, recs[i]), append(ps, payloads[i])
			}
		}
		return rs, ps
	}, true)
	tamper(t, f.path, func(b *buckets) error {
		for _, s := range f.sizes {
			if err := b.checkpoints.Delete(itob(s)); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestStrippedLogFailsAgainstTheWitnessCheckpoint(t *testing.T) {
	f := newFixture(t)
	w := testWitness(t, 1)
	witnessed := append(bytes.Clone(f.latest.Note), cosign(w, f.latest)...)
	o := VerifyOptions{Checkpoint: witnessed, WitnessKeys: []string{w.VerifierKey()}}
	rep, err := verify(t, f.path, o)
	if err != nil || len(rep.GivenCosigners) != 1 || rep.GivenCosigners[0] != w.Name() {
		t.Fatalf("the untouched log: %v, cosigners %v", err, rep)
	}

	stripCheckpoints(t, f, 20)
	// Alone, the stripped log fails now that every commit signs: its
	// records are covered by no checkpoint.
	_, err = verify(t, f.path, VerifyOptions{Card: f.a.card})
	wantKind(t, err, KindUncovered)
	// Against the witness's checkpoint, it differs from what the witness
	// cosigned within the checkpoint's records, which comes first.
	_, err = verify(t, f.path, o)
	wantFailure(t, err, KindFork, f.latest.Size, true)
}

// wantKind checks that err is a *VerifyError of kind.
func wantKind(t *testing.T, err error, kind Kind) {
	t.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Kind != kind {
		t.Fatalf("verify: %v, want a %s failure", err, kind)
	}
}

// TestCutLogFailsAgainstTheWitnessCheckpoint: a log cut back to the end of
// an earlier commit, with the checkpoints beyond removed, verifies alone
// (each commit's checkpoint is stored); against the witness's checkpoint
// it is a truncation, without the auditor having kept anything.
func TestCutLogFailsAgainstTheWitnessCheckpoint(t *testing.T) {
	f := newFixture(t)
	w := testWitness(t, 1)
	witnessed := append(bytes.Clone(f.latest.Note), cosign(w, f.latest)...)
	const m = 50
	tamper(t, f.path, func(b *buckets) error {
		for i := int64(m); i < f.latest.Size; i++ {
			b.records.Delete(itob(i))
			b.payloads.Delete(itob(i))
		}
		for x := tlog.StoredHashCount(m); x < tlog.StoredHashCount(f.latest.Size); x++ {
			b.hashes.Delete(itob(x))
		}
		for _, s := range f.sizes {
			if s > m {
				b.checkpoints.Delete(itob(s))
			}
		}
		return nil
	})
	if _, err := verify(t, f.path, VerifyOptions{Card: f.a.card}); err != nil {
		t.Fatalf("the cut log alone: %v", err)
	}
	_, err := verify(t, f.path, VerifyOptions{Checkpoint: witnessed, WitnessKeys: []string{w.VerifierKey()}})
	ve := wantFailure(t, err, KindTruncation, m, false)
	if !strings.Contains(ve.What, "the checkpoint given covers more records than the log holds") {
		t.Fatalf("failure %v", ve)
	}
}

func TestStrippedLogPaddedToSizeFailsAgainstTheWitnessCheckpoint(t *testing.T) {
	f := newFixture(t)
	w := testWitness(t, 1)
	witnessed := append(bytes.Clone(f.latest.Note), cosign(w, f.latest)...)
	stripCheckpoints(t, f, 20)
	// Padded back to the witnessed size with copies of the last record.
	rewrite(t, f.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		for int64(len(recs)) < f.latest.Size {
			last := *recs[len(recs)-1]
			recs, payloads = append(recs, &last), append(payloads, payloads[len(payloads)-1])
		}
		return recs, payloads
	}, true)
	_, err := verify(t, f.path, VerifyOptions{Checkpoint: witnessed, WitnessKeys: []string{w.VerifierKey()}})
	wantFailure(t, err, KindFork, f.latest.Size, true)
}

func TestStoredCosignaturesAreChecked(t *testing.T) {
	f := newFixture(t)
	w, other := testWitness(t, 1), testWitness(t, 2)
	l := openLog(t, f.path, f.a.options())
	cps, err := l.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	first, last := cps[0], cps[len(cps)-1]
	if err := l.AddCosignatures(first.Size, cosign(w, first)); err != nil {
		t.Fatal(err)
	}
	if err := l.AddCosignatures(last.Size, cosign(w, last)); err != nil {
		t.Fatal(err)
	}
	// Storing the same line again adds nothing; another witness's adds
	// one.
	line := w.Cosign([]byte(checkpointText(last.Origin, last.Size, last.Root)), time.Unix(1800000000, 0))
	for range 2 {
		if err := l.AddCosignatures(last.Size, line); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.AddCosignatures(last.Size, cosign(other, last)); err != nil {
		t.Fatal(err)
	}
	if err := l.AddCosignatures(last.Size+1000, line); err == nil {
		t.Fatal("a cosignature of a checkpoint the log does not hold was stored")
	}
	got, err := l.LatestCosigned()
	if err != nil || got.Checkpoint.Size != last.Size || bytes.Count(got.Lines, []byte("\n")) != 3 {
		t.Fatalf("latest cosigned %+v (%v), want size %d with three lines", got, err, last.Size)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	rep, err := verify(t, f.path, VerifyOptions{Card: f.a.card, WitnessKeys: []string{w.VerifierKey()}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.NewestCosigned != last.Size || len(rep.Cosigned) != 2 || len(rep.Cosigned[1].Witnesses) != 1 || rep.Cosigned[1].Witnesses[0] != w.Name() || rep.Cosigned[1].Unknown != 1 {
		t.Fatalf("report: newest %d, cosigned %+v", rep.NewestCosigned, rep.Cosigned)
	}
	// Without the witness key, the cosignatures are not judged.
	if rep, err := verify(t, f.path, VerifyOptions{Card: f.a.card}); err != nil || rep.NewestCosigned != 0 || rep.Cosigned[0].Unknown != 1 {
		t.Fatalf("without the key: %v, %+v", err, rep)
	}

	// A cosignature under the witness's name and key hash, by another key.
	forged := other.Cosign([]byte(checkpointText(first.Origin, first.Size, first.Root)), time.Now())
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.SplitN(string(forged), " ", 3)[2]))
	v, _ := witness.NewVerifier(w.VerifierKey())
	binary.BigEndian.PutUint32(raw, v.KeyHash())
	tamper(t, f.path, func(b *buckets) error {
		return b.db().Bucket([]byte(bucketCosignatures)).Put(itob(first.Size), []byte("— "+w.Name()+" "+base64.StdEncoding.EncodeToString(raw)+"\n"))
	})
	_, err = verify(t, f.path, VerifyOptions{Card: f.a.card, WitnessKeys: []string{w.VerifierKey()}})
	ve := wantFailure(t, err, KindIntegrity, first.Size, true)
	if !strings.Contains(ve.What, "stored cosignature does not verify") {
		t.Fatalf("failure %v", ve)
	}
}

// db returns the transaction of the buckets.
func (b *buckets) db() *bolt.Tx { return b.meta.Tx() }
