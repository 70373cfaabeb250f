package auditlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/internal/durable"
	bolt "go.etcd.io/bbolt"
)

// MaxRestartSize bounds a restart record's payload: a file name, two
// numbers and a checkpoint.
const MaxRestartSize = MaxCheckpointSize + 1024

// RestartRecord is the payload of a restart record, record 1 of a log that
// Restart started after a broken one: what the agency vouches for of the
// old log. Its encoding is the canonical JSON of this struct (fields in this
// order, no white space).
type RestartRecord struct {
	// Version is 1.
	Version int `json:"v"`
	// OldFile is the name the old log was moved to, in the same directory.
	OldFile string `json:"old_file"`
	// OldRecords is how many records the old file held.
	OldRecords int64 `json:"old_records"`
	// Checkpoint is the old log's last good checkpoint, the signed note:
	// its records are the old log's, the rest is not; empty if none
	// verified.
	Checkpoint string `json:"checkpoint"`
	// Reason is the old log's verification failure, on one line.
	Reason string `json:"reason"`
}

// DecodeRestart decodes a restart record's payload: canonical JSON of a
// version 1 RestartRecord, whose checkpoint, if any, parses.
func DecodeRestart(data []byte) (*RestartRecord, error) {
	if len(data) > MaxRestartSize {
		return nil, fmt.Errorf("restart record: %d bytes, over the limit of %d", len(data), MaxRestartSize)
	}
	var r RestartRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("restart record: %w", err)
	}
	if r.Version != 1 {
		return nil, fmt.Errorf("restart record: version %d, want 1", r.Version)
	}
	if r.OldFile == "" || filepath.Base(r.OldFile) != r.OldFile || r.OldRecords < 0 {
		return nil, fmt.Errorf("restart record: invalid old file %q or record count %d", r.OldFile, r.OldRecords)
	}
	if r.Checkpoint != "" {
		if _, _, err := ParseCheckpoint([]byte(r.Checkpoint)); err != nil {
			return nil, fmt.Errorf("restart record: %w", err)
		}
	}
	if canon, err := r.encode(); err != nil || !bytes.Equal(canon, data) {
		return nil, fmt.Errorf("restart record: not canonical JSON")
	}
	return &r, nil
}

// encode returns the canonical encoding.
func (r *RestartRecord) encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Restarted says what Restart did.
type Restarted struct {
	// OldPath is where the old log now is.
	OldPath string
	// Restart is the new log's record 1.
	Record *RestartRecord
	// LastGood is the old log's last good checkpoint, or nil.
	LastGood *Checkpoint
}

// Restart starts a new log at path after a broken one — one holding records
// no signed checkpoint covers, or failing verification otherwise. It
// verifies the old log (records, tree, checkpoints and the trust trail; not
// the stored messages' signatures, which 'casenode audit verify' checks) to
// find its last good checkpoint, writes the new
// log next to it (its record 0 the agency's card, record 1 a restart record
// naming the old file and that checkpoint, in one commit), moves the old
// file aside to path.broken-<UTC time>, kept as evidence, and moves the new
// one into place. A node's file keeps its store: the new file holds a copy
// of the old one's StoreBucket. Nobody may hold the old log (an *InUseError otherwise).
// A Restart that a crash interrupted is finished by the next.
func Restart(ctx context.Context, path string, opts Options) (*Restarted, error) {
	return RestartWith(ctx, path, opts, nil)
}

// RestartWith is Restart, with then appended to the new log after the
// restart record, in the same first commit: what the node had recorded in
// the old log and an auditor needs to judge the new one (its
// configuration, the roster in force).
func RestartWith(ctx context.Context, path string, opts Options, then []Entry) (*Restarted, error) {
	return RestartCarrying(ctx, path, opts, then, nil)
}

// RestartCarrying is RestartWith for a host whose store refers to the old
// log's records: once the store is carried over into the new log's file,
// and before that file takes the old one's place, carry runs in a read
// transaction of the old file and a write transaction of the new one, to
// copy into the store what it read from the old log's records (a sent
// message's sealed bytes: the node's outbox names its sent record). A
// restart that stops before the new file is in place starts again from
// the old file.
func RestartCarrying(ctx context.Context, path string, opts Options, then []Entry, carry func(old, fresh *bolt.Tx) error) (*Restarted, error) {
	fresh := path + ".restart"
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(fresh); err == nil {
			// A nil result: the restart a crash interrupted is done.
			return nil, finishRestart(fresh, path)
		}
	}
	r, err := OpenReader(path, ReadOptions{LockTimeout: opts.LockTimeout})
	if err != nil {
		return nil, err
	}
	n, _ := r.Size()
	rep, verr := r.Verify(ctx, VerifyOptions{})
	r.Close()
	if verr != nil && ctx.Err() != nil {
		return nil, verr
	}
	out := &Restarted{OldPath: fmt.Sprintf("%s.broken-%s", path, time.Now().UTC().Format("20060102T150405Z"))}
	rs := &RestartRecord{Version: 1, OldFile: filepath.Base(out.OldPath), OldRecords: n, Reason: "verified"}
	var ve *VerifyError
	switch {
	case errors.As(verr, &ve):
		out.LastGood, rs.Reason = ve.LastGood, ve.Error()
	case verr != nil:
		rs.Reason = verr.Error()
	default:
		out.LastGood = rep.Latest
	}
	if out.LastGood != nil {
		rs.Checkpoint = string(out.LastGood.Note)
	}
	payload, err := rs.encode()
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxRestartSize {
		rs.Reason = rs.Reason[:min(len(rs.Reason), 256)]
		if payload, err = rs.encode(); err != nil {
			return nil, err
		}
	}
	out.Record = rs
	if err := os.Remove(fresh); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("restart audit log: %w", err)
	}
	l, err := open(fresh, opts, append([]Entry{{Type: TypeRestart, Actor: opts.Card.Agency, Payload: payload}}, then...))
	if err != nil {
		return nil, fmt.Errorf("restart audit log: %w", err)
	}
	if err := l.Close(); err != nil {
		return nil, fmt.Errorf("restart audit log: %w", err)
	}
	if err := carryStore(path, fresh, opts.LockTimeout, carry); err != nil {
		return nil, fmt.Errorf("restart audit log: carry the node's store over: %w", err)
	}
	if err := os.Rename(path, out.OldPath); err != nil {
		return nil, fmt.Errorf("restart audit log: move the old log aside: %w", err)
	}
	return out, finishRestart(fresh, path)
}

// carryStore copies the node's store (StoreBucket) of the file at path, if
// it holds one, into the new log's file fresh: the node keeps its inbox,
// outbox and roster; only its audit log starts over. carry, if not nil,
// then runs on both files (RestartCarrying).
func carryStore(path, fresh string, timeout time.Duration, carry func(old, fresh *bolt.Tx) error) error {
	db, err := openDB(path, true, timeout)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(StoreBucket)) == nil {
			return nil
		}
		if err := copyBuckets(tx, fresh, nil, func(name []byte) bool { return string(name) == StoreBucket }); err != nil {
			return err
		}
		if carry == nil {
			return nil
		}
		fdb, err := openDB(fresh, false, timeout)
		if err != nil {
			return err
		}
		if err := fdb.Update(func(ftx *bolt.Tx) error { return carry(tx, ftx) }); err != nil {
			fdb.Close()
			return err
		}
		return fdb.Close()
	})
}

// finishRestart moves the new log into place.
func finishRestart(fresh, path string) error {
	if err := os.Rename(fresh, path); err != nil {
		return fmt.Errorf("restart audit log: %w", err)
	}
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("restart audit log: %w", err)
	}
	return nil
}
