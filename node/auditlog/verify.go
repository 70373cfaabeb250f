package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// MessageCheck checks the signatures of a stored message (a sent, received
// or receipt record) against what the log trusted at that point (CheckMessage
// is the one casenode uses). It is called from several goroutines at once; payload is only
// valid during the call.
type MessageCheck func(rec *Record, payload []byte, trust *Trust) error

// VerifyOptions say what Verify trusts and checks beyond the log itself.
type VerifyOptions struct {
	// Card is the agency's member card as the auditor knows it: it anchors
	// whose log this is. Without it, Verify trusts the card in record 0.
	Card *protocol.MemberCard
	// Checkpoint is a signed checkpoint of this log obtained earlier. The
	// log must hold at least its records, and the same ones: the only way
	// to catch removal of the newest records or a restore from backup.
	Checkpoint []byte
	// WitnessKeys are witness verifier keys (protocol.WitnessKey) the
	// auditor trusts besides those the log's roster lists: the stored
	// cosignatures and those of Checkpoint are checked against both.
	WitnessKeys []string
	// CheckMessage, if set, checks every stored message's signatures.
	CheckMessage MessageCheck
	// Workers is how many goroutines run CheckMessage; zero means
	// GOMAXPROCS.
	Workers int
	// Progress, if set, is called now and then with the records checked so
	// far and the total.
	Progress func(done, total int64)
}

// Report is the result of a successful verification.
type Report struct {
	// Origin names the log.
	Origin string
	// Records is how many records were checked.
	Records int64
	// Checkpoints is how many stored checkpoints were checked.
	Checkpoints int
	// Latest is the newest stored checkpoint: keep it, to pass it as
	// VerifyOptions.Checkpoint next time.
	Latest *Checkpoint
	// Anchored says that the own card came from VerifyOptions.Card; if
	// false, the card in record 0 was trusted.
	Anchored bool
	// OwnKeys are the kids of the log's own signing keys, in the order the
	// log took them.
	OwnKeys []string
	// Given is the checkpoint of VerifyOptions.Checkpoint, proved
	// consistent with the log.
	Given *Checkpoint
	// MessagesChecked is how many messages CheckMessage checked.
	MessagesChecked int64
	// CardsChecked is how many key records of other agencies were checked
	// against the roster in force at their record; CardsBeforeRoster how
	// many came before the log's first roster record, where nothing can
	// check them.
	CardsChecked, CardsBeforeRoster int64
	// Elapsed is how long verification took.
	Elapsed time.Duration
	// Cosigned are the checkpoints with stored cosignatures, oldest
	// first, with the witnesses whose cosignatures verified.
	Cosigned []Cosigned
	// NewestCosigned is the size of the newest checkpoint a known witness
	// cosigned, 0 if none.
	NewestCosigned int64
	// GivenCosigners name the witnesses whose cosignatures of Given
	// verified.
	GivenCosigners []string
	// WitnessKeys is how many witness keys the cosignatures were checked
	// against.
	WitnessKeys int
}

// progressEvery is how many records go between two Progress calls.
const progressEvery = 1 << 14

// Verify checks the whole log from its file alone: the encoding of every
// record, the sequence, the previous-hash chain, every payload's hash,
// every stored tree hash, the Merkle root and the signature of every stored
// checkpoint, and, with a CheckMessage, every stored message's signatures
// against the keys trusted at that point of the log. It returns a
// *VerifyError for the first failure.
func (r *Reader) Verify(ctx context.Context, o VerifyOptions) (*Report, error) {
	start := time.Now()
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	v := &verifier{ctx: ctx, o: o, rep: &Report{Origin: r.origin, Anchored: o.Card != nil}}
	if len(o.Checkpoint) > 0 {
		c, _, err := ParseCheckpoint(o.Checkpoint)
		if err != nil {
			return nil, fmt.Errorf("the checkpoint to check against: %w", err)
		}
		if c.Size == 0 {
			return nil, fmt.Errorf("the checkpoint to check against covers no records")
		}
		v.given = c
	}
	err := r.db.View(func(tx *bolt.Tx) error {
		b, err := readBuckets(tx)
		if err != nil {
			return &VerifyError{Kind: KindIntegrity, What: err.Error()}
		}
		v.b, v.tx = b, tx
		v.origin = string(b.meta.Get([]byte(metaOrigin)))
		if name := unknownBucket(tx); name != "" {
			return &VerifyError{Kind: KindIntegrity, What: fmt.Sprintf("unknown bucket %q: not part of an audit log (its buckets are %s)", name, strings.Join(knownBuckets(), ", "))}
		}
		readAhead(tx)
		defer readAheadDone(tx)
		if err := v.run(); err != nil {
			return err
		}
		return v.cosignatures(tx)
	})
	if err != nil {
		return nil, err
	}
	v.rep.Elapsed = time.Since(start)
	return v.rep, nil
}

// verifier is the state of one Verify pass.
type verifier struct {
	ctx    context.Context
	o      VerifyOptions
	b      *buckets
	tx     *bolt.Tx // the read transaction of the pass
	origin string
	rep    *Report

	total            int64
	trail            TrustTrail
	frontier         *frontier
	prev             tlog.Hash
	lastTime         int64
	cps              *bolt.Cursor // over the stored checkpoints, at the next one the pass reaches
	cpSize           int64        // that checkpoint's tree size, 0 once there is none left
	cpVal            []byte       // and its bytes
	newestCheckpoint int64        // the largest stored checkpoint size
	given            *Checkpoint  // VerifyOptions.Checkpoint, signature not yet checked
	rec              Record       // the record being checked (a message's goes to the checks as a copy)
	leafBuf          []byte       // 0x00 ‖ the record's bytes, for its leaf hash
	hashes           []tlog.Hash  // the tree hashes the record adds
	lastGood         *Checkpoint
	ownKeys          []*protocol.MemberCard
	anchored         bool // the anchor card's key is one of the log's own keys
	msgs             *messageChecks
}

// fail returns the failure of kind at record (or checkpoint) i.
func (v *verifier) fail(kind Kind, i int64, what, expected, found string) *VerifyError {
	return &VerifyError{Kind: kind, Index: i, What: what, Expected: expected, Found: found, LastGood: v.lastGood}
}

func (v *verifier) failAt(kind Kind, size int64, what, expected, found string) *VerifyError {
	e := v.fail(kind, size, what, expected, found)
	e.AtCheckpoint = true
	return e
}

// run is the pass over the records, in one read transaction.
func (v *verifier) run() error {
	v.frontier = newFrontier()
	// A key that is no record's sorts last: the pass reports it there.
	v.total, _ = size(v.b)
	if v.given != nil && v.given.Origin != v.origin {
		return v.failAt(KindTrust, v.given.Size, "the checkpoint given is another log's", v.origin, v.given.Origin)
	}
	if err := v.checkpointCursor(); err != nil {
		return err
	}
	v.msgs = startMessageChecks(v.o.CheckMessage, v.o.Workers)
	err := v.records()
	if merr := v.msgs.wait(); merr != nil && (err == nil || isLater(err, merr)) {
		err = merr
	}
	if err != nil {
		return err
	}
	v.rep.MessagesChecked = v.msgs.checked
	return v.end()
}

// isLater reports whether the structural failure err is at a later record
// than the message failure m.
func isLater(err error, m *VerifyError) bool {
	e, ok := err.(*VerifyError)
	return ok && (e.Index > m.Index || e.Index == m.Index && m.AtCheckpoint && !e.AtCheckpoint)
}

// checkpointCursor positions a cursor at the first stored checkpoint: the
// pass walks them in step with the records, so that nothing it keeps grows
// with the log (there is one per commit).
func (v *verifier) checkpointCursor() error {
	v.cps = v.b.checkpoints.Cursor()
	if k, _ := v.cps.Last(); k != nil {
		v.newestCheckpoint, _ = btoi(k)
	}
	return v.checkpointAt(v.cps.First())
}

// checkpointAt takes the stored checkpoint under k, the cursor's next, as
// the next one the pass reaches; a nil k means none is left.
func (v *verifier) checkpointAt(k, val []byte) error {
	if k == nil {
		v.cpSize, v.cpVal = 0, nil
		return nil
	}
	n, ok := btoi(k)
	if !ok || n == 0 {
		return v.failAt(KindIntegrity, n, "checkpoint key", "a tree size of at least 1", hex.EncodeToString(k))
	}
	v.cpSize, v.cpVal = n, val
	return nil
}

// nextCheckpoint moves the cursor past the checkpoint the pass reached.
func (v *verifier) nextCheckpoint() error { return v.checkpointAt(v.cps.Next()) }

// records checks every record in order, with its payload and its tree
// hashes, and every checkpoint as the pass reaches its size.
func (v *verifier) records() error {
	sc := newSideCursors(v.b)
	var i int64
	rc := v.b.records.Cursor()
	for k, val := rc.First(); k != nil; k, val = rc.Next() {
		if err := v.progress(i); err != nil {
			return err
		}
		rec, err := v.record(i, k, val)
		if err != nil {
			return err
		}
		payload, err := v.payload(i, k, rec, sc)
		if err != nil {
			return err
		}
		leaf, err := v.treeHashes(i, val, sc)
		if err != nil {
			return err
		}
		if err := v.content(i, rec, payload); err != nil {
			return err
		}
		v.prev, v.lastTime = leaf, rec.Time.UnixNano()
		i++
		if err := v.checkpointsAt(i); err != nil {
			return err
		}
	}
	if err := v.nothingAfter(i, sc); err != nil {
		return err
	}
	v.rep.Records = i
	if v.o.Progress != nil {
		v.o.Progress(i, v.total)
	}
	return nil
}

// sideCursors walk the payloads and the tree hashes alongside the records.
type sideCursors struct {
	pc, hc         *bolt.Cursor
	pk, pv, hk, hv []byte
}

func newSideCursors(b *buckets) *sideCursors {
	sc := &sideCursors{pc: b.payloads.Cursor(), hc: b.hashes.Cursor()}
	sc.pk, sc.pv = sc.pc.First()
	sc.hk, sc.hv = sc.hc.First()
	return sc
}

// progress checks the context, releases the file's pages read so far
// (releasePages) and reports progress every progressEvery records.
func (v *verifier) progress(i int64) error {
	if i%progressEvery != 0 {
		return nil
	}
	if err := v.ctx.Err(); err != nil {
		return err
	}
	if i > 0 && v.tx != nil {
		releasePages(v.tx)
	}
	if v.o.Progress != nil {
		v.o.Progress(i, v.total)
	}
	return nil
}

// record decodes record i, stored under k, and checks its place in the
// chain: its key, its sequence number, the previous record's hash and time.
func (v *verifier) record(i int64, k, val []byte) (*Record, error) {
	if idx, ok := btoi(k); !ok {
		return nil, v.fail(KindIntegrity, i, fmt.Sprintf("a key that is no record's follows record %d", i-1), "key "+hex.EncodeToString(itob(i)), "key "+hex.EncodeToString(k))
	} else if idx != i {
		return nil, v.fail(KindIntegrity, i, fmt.Sprintf("record %d is missing", i), "key "+hex.EncodeToString(itob(i)), "key "+hex.EncodeToString(k))
	}
	rec := &v.rec
	if err := decodeRecordInto(rec, val); err != nil {
		return nil, v.fail(KindIntegrity, i, err.Error(), "", "")
	}
	if rec.Seq != i {
		return nil, v.fail(KindIntegrity, i, "sequence number", fmt.Sprint(i), fmt.Sprint(rec.Seq))
	}
	if rec.Prev != v.prev {
		return nil, v.fail(KindIntegrity, i, "previous-record hash", v.prev.String(), rec.Prev.String())
	}
	if t := rec.Time.UnixNano(); t < v.lastTime {
		return nil, v.fail(KindIntegrity, i, "time goes backwards", "at least "+time.Unix(0, v.lastTime).UTC().Format(time.RFC3339Nano), rec.Time.Format(time.RFC3339Nano))
	}
	return rec, nil
}

// payload returns record i's payload, the next one of sc, once it is
// there under the record's key with the record's size and hash.
func (v *verifier) payload(i int64, k []byte, rec *Record, sc *sideCursors) ([]byte, error) {
	if sc.pk == nil || !bytes.Equal(sc.pk, k) {
		return nil, v.fail(KindIntegrity, i, "payload is missing", "key "+hex.EncodeToString(k), "key "+hex.EncodeToString(sc.pk))
	}
	payload := sc.pv
	if int64(len(payload)) != rec.PayloadSize {
		return nil, v.fail(KindIntegrity, i, "payload size", fmt.Sprint(rec.PayloadSize), fmt.Sprint(len(payload)))
	}
	if h := sha256.Sum256(payload); h != rec.PayloadHash {
		return nil, v.fail(KindIntegrity, i, "payload SHA-256", hex.EncodeToString(rec.PayloadHash[:]), hex.EncodeToString(h[:]))
	}
	sc.pk, sc.pv = sc.pc.Next()
	return payload, nil
}

// treeHashes checks the tree hashes that record i, encoded as val, adds:
// the next ones of sc must be them. It returns the record's leaf hash.
func (v *verifier) treeHashes(i int64, val []byte, sc *sideCursors) (tlog.Hash, error) {
	v.leafBuf = append(append(v.leafBuf[:0], 0), val...)
	leaf := tlog.Hash(sha256.Sum256(v.leafBuf))
	hashes, err := v.frontier.next(i, leaf, v.hashes[:0])
	v.hashes = hashes
	if err != nil {
		return leaf, v.fail(KindIntegrity, i, err.Error(), "", "")
	}
	base := tlog.StoredHashIndex(0, i)
	for j := range hashes {
		x := base + int64(j)
		if n, ok := btoi(sc.hk); sc.hk == nil || !ok || n != x {
			return leaf, v.fail(KindIntegrity, i, fmt.Sprintf("tree hash %d is missing", x), "key "+hex.EncodeToString(itob(x)), "key "+hex.EncodeToString(sc.hk))
		}
		if !bytes.Equal(sc.hv, hashes[j][:]) {
			return leaf, v.fail(KindIntegrity, i, fmt.Sprintf("tree hash %d", x), hashes[j].String(), hashString(sc.hv))
		}
		sc.hk, sc.hv = sc.hc.Next()
	}
	v.frontier.add(i, hashes)
	return leaf, nil
}

// nothingAfter checks, after the last of n records, that there was one and
// that no tree hash or payload follows.
func (v *verifier) nothingAfter(n int64, sc *sideCursors) error {
	if n == 0 {
		return v.fail(KindIntegrity, 0, "the log has no records (record 0 is always the agency's card)", "", "")
	}
	if sc.hk != nil {
		x, _ := btoi(sc.hk)
		return v.fail(KindIntegrity, n, fmt.Sprintf("tree hash %d follows the last record's", x), fmt.Sprintf("%d tree hashes", tlog.StoredHashCount(n)), "more")
	}
	if sc.pk != nil {
		x, _ := btoi(sc.pk)
		return v.fail(KindIntegrity, x, "payload without a record", "", "")
	}
	return nil
}

// hashString shows stored hash bytes the way tlog.Hash does.
func hashString(b []byte) string {
	var h tlog.Hash
	if len(b) != len(h) {
		return fmt.Sprintf("%d bytes", len(b))
	}
	copy(h[:], b)
	return h.String()
}

// end checks what can only be checked after the last record: checkpoints
// beyond the log's size, the given checkpoint's consistency proof, and the
// anchor.
func (v *verifier) end() error {
	n := v.rep.Records
	if v.cpSize > 0 { // the pass stopped before it: its size is beyond the records
		return v.truncated(v.cpSize, v.cpVal, false)
	}
	if v.given != nil {
		if v.given.Size > n {
			return v.truncated(v.given.Size, v.given.Note, true)
		}
		if err := v.proveGiven(); err != nil {
			return err
		}
	}
	if v.o.Card != nil && !v.anchored {
		e := v.fail(KindTrust, 0, "the card's key is never the log's own key", "kid "+v.o.Card.KeyID(), "kids "+kids(v.ownKeys))
		e.LastGood = nil
		return e
	}
	for _, c := range v.ownKeys {
		v.rep.OwnKeys = append(v.rep.OwnKeys, c.KeyID())
	}
	v.rep.Latest = v.lastGood
	if covered := v.lastGood.sizeOrZero(); covered < n {
		e := v.fail(KindUncovered, covered, "records no signed checkpoint covers: every commit of the log signs one, so they were written without the agency's key", fmt.Sprintf("a checkpoint of %d records", n), fmt.Sprintf("the newest covers %d", covered))
		e.Through = n - 1
		return e
	}
	return nil
}

// sizeOrZero is the checkpoint's size, or 0 for none.
func (c *Checkpoint) sizeOrZero() int64 {
	if c == nil {
		return 0
	}
	return c.Size
}

// altered is the failure of a checkpoint of size i that the records no
// longer match: a record among those after the last good checkpoint was
// altered, removed or inserted, with the hashes recomputed.
func (v *verifier) altered(i int64, what, expected, found string) *VerifyError {
	e := v.fail(KindIntegrity, v.lastGood.sizeOrZero(), what+fmt.Sprintf(": a record after record %d and before %d was altered, removed or inserted, and the hashes recomputed", v.lastGood.sizeOrZero()-1, i), expected, found)
	e.Through = i - 1
	return e
}

func kids(cards []*protocol.MemberCard) string {
	var b bytes.Buffer
	for i, c := range cards {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.KeyID())
	}
	return b.String()
}
