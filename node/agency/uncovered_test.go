package agency_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// TestForgedAuditTailRefusedAtStart is the forgery of issue #13: a
// correctly chained "access" record appended to a stopped node's audit
// log, hashes recomputed. At its next start the node refuses to sign it:
// it raises an alarm, takes no input, stays off the hub, and its log still
// ends with the checkpoint it signed before the forgery. It also holds
// point 3: the received record carries the hub's storage time and stream
// sequence.
func TestForgedAuditTailRefusedAtStart(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	id := send(t, w.node("sn-pj-dakar"), protocol.TypeLead, "c-1", "gh-ag")
	waitState(t, w.node("sn-pj-dakar"), id, agency.CopyDelivered, "gh-ag")
	var stamped bool
	for _, r := range w.audit("gh-ag") {
		if r.Type == auditlog.TypeReceived && r.MessageID == id {
			stamped = r.Hub != nil && r.Hub.Seq > 0 && !r.Hub.Stored.IsZero() && r.Bytes()[0] == auditlog.RecordVersionHub
		}
	}
	if !stamped {
		t.Fatal("the received record does not carry the hub's stamp")
	}
	// A snapshot of the running node: every record is covered, and the
	// received record is judged at the hub's time (point 6: no "the node
	// stopped before signing them").
	var snap bytes.Buffer
	if _, err := w.node("gh-ag").AuditSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	snapPath := filepath.Join(t.TempDir(), auditlog.FileName)
	if err := os.WriteFile(snapPath, snap.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	sr, err := auditlog.OpenReader(snapPath, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := sr.Verify(context.Background(), auditlog.VerifyOptions{CheckMessage: auditlog.CheckMessage})
	sr.Close()
	if err != nil || rep.Latest == nil || rep.Latest.Size != rep.Records {
		t.Fatalf("snapshot of a running node: %+v, %v; want every record covered", rep, err)
	}

	w.stopNode("sn-pj-dakar")
	path := filepath.Join(w.nodes["sn-pj-dakar"].dir, auditlog.FileName)
	before := forgeAccess(t, path)

	n := w.start("sn-pj-dakar")
	s, err := n.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Audit.Failed, "no signed checkpoint covers") || s.Audit.Checkpoint == nil || s.Audit.Checkpoint.Size != before {
		t.Fatalf("audit status %+v: want the failure and the checkpoint of size %d", s.Audit, before)
	}
	alarms, err := n.Alarms(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var raised bool
	for _, a := range alarms {
		raised = raised || a.Kind == agency.AlarmAuditUncovered && strings.Contains(a.Text, "casenode audit restart-log")
	}
	if !raised {
		t.Fatalf("alarms %+v: no %s alarm telling what to do", alarms, agency.AlarmAuditUncovered)
	}
	var ue *auditlog.UncoveredError
	if _, err := n.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Case: "c-2", Body: protocol.Example(protocol.TypeLead)}); !errors.As(err, &ue) {
		t.Fatalf("send with a forged audit log: %v", err)
	}
	if s.Hub.State == "online" {
		t.Fatalf("the node went online with a forged audit log: %+v", s.Hub)
	}
	w.stopNode("sn-pj-dakar")

	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if cp, err := r.Latest(); err != nil || cp.Size != before {
		t.Fatalf("latest checkpoint after the node ran: %v, %v; want size %d: the forgery never signed", cp, err, before)
	}
	_, err = r.Verify(context.Background(), auditlog.VerifyOptions{})
	var ve *auditlog.VerifyError
	if !errors.As(err, &ve) || ve.Kind != auditlog.KindUncovered || ve.Index != before {
		t.Fatalf("verify: %v, want an uncovered failure at record %d", err, before)
	}
}

// forgeAccess appends a correctly chained access record to the log at path,
// with its payload and tree hashes, and no checkpoint; it returns the
// log's size before.
func forgeAccess(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := func(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }
	var n int64
	err = db.Update(func(tx *bolt.Tx) error {
		records, payloads, hashes := tx.Bucket([]byte("records")), tx.Bucket([]byte("payloads")), tx.Bucket([]byte("hashes"))
		_, v := records.Cursor().Last()
		last, err := auditlog.DecodeRecord(v)
		if err != nil {
			return err
		}
		n = last.Seq + 1
		payload := []byte(`{"action":"show","direction":"in"}`)
		sum := sha256.Sum256(payload)
		prev := last.Hash()
		rec := []byte{auditlog.RecordVersion, byte(auditlog.TypeAccess)}
		rec = binary.BigEndian.AppendUint64(rec, uint64(n))
		rec = binary.BigEndian.AppendUint64(rec, uint64(last.Time.UnixNano()+1))
		rec = append(append(rec, prev[:]...), sum[:]...)
		rec = binary.BigEndian.AppendUint64(rec, uint64(len(payload)))
		rec = append(append(rec, byte(len("aminata"))), "aminata"...)
		rec = append(rec, 0)
		if _, err := auditlog.DecodeRecord(rec); err != nil {
			return err
		}
		if err := records.Put(key(n), rec); err != nil {
			return err
		}
		if err := payloads.Put(key(n), payload); err != nil {
			return err
		}
		hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				copy(out[i][:], hashes.Get(key(x)))
			}
			return out, nil
		})
		hs, err := tlog.StoredHashesForRecordHash(n, tlog.RecordHash(rec), hr)
		if err != nil {
			return err
		}
		for j, h := range hs {
			if err := hashes.Put(key(tlog.StoredHashIndex(0, n)+int64(j)), h[:]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
