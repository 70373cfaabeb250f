package agency_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
)

// queuedWhileHubDown sends one lead from sn-pj-dakar to gh-ag while the
// hub is down, stops the sender and returns the message id and the
// sender's file.
func queuedWhileHubDown(t *testing.T, w *testNetwork) (id, path string) {
	t.Helper()
	w.stopHub()
	id = send(t, w.node("sn-pj-dakar"), protocol.TypeLead, "c-1", "gh-ag")
	w.stopNode("sn-pj-dakar")
	return id, filepath.Join(w.nodes["sn-pj-dakar"].dir, auditlog.FileName)
}

// outboxState is what the node's file holds of a sent message: its outbox
// entry's record number, the sealed bytes the store keeps, the payload of
// its sent record and the store's format.
type outboxState struct {
	sentRecord *int64
	kept       []byte
	sentSeq    int64
	payload    []byte
	format     string
}

func readOutboxState(t *testing.T, path, id string) outboxState {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s outboxState
	s.sentSeq = -1
	err = db.View(func(tx *bolt.Tx) error {
		root := tx.Bucket([]byte(auditlog.StoreBucket))
		var e struct {
			SentRecord *int64 `json:"sent_record"`
		}
		if err := json.Unmarshal(root.Bucket([]byte("outbox")).Get([]byte(id)), &e); err != nil {
			return err
		}
		s.sentRecord = e.SentRecord
		s.kept = append([]byte(nil), root.Bucket([]byte("outbox-raw")).Get([]byte(id))...)
		s.format = string(root.Bucket([]byte("meta")).Get([]byte("format")))
		c := tx.Bucket([]byte("records")).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			rec, err := auditlog.DecodeRecord(v)
			if err != nil {
				return err
			}
			if rec.Type == auditlog.TypeSent && rec.MessageID == id {
				s.sentSeq = rec.Seq
				s.payload = append([]byte(nil), tx.Bucket([]byte("payloads")).Get(k)...)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSealedBytesStoredOnce: a sent message's sealed bytes are in the
// node's file once, as its sent record's payload; the outbox entry names
// that record, and a node opened again publishes the message from it.
func TestSealedBytesStoredOnce(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	id, path := queuedWhileHubDown(t, w)
	s := readOutboxState(t, path, id)
	if s.sentSeq < 0 || len(s.payload) == 0 {
		t.Fatalf("no sent record of %s in the audit log", id)
	}
	if len(s.kept) != 0 {
		t.Errorf("the store keeps a second copy of the sealed message (%d bytes in outbox-raw)", len(s.kept))
	}
	if s.sentRecord == nil {
		t.Errorf("the outbox entry names no record, want the sent record %d", s.sentSeq)
	} else if *s.sentRecord != s.sentSeq {
		t.Errorf("the outbox entry names record %d, want the sent record %d", *s.sentRecord, s.sentSeq)
	}
	w.restartHub()
	waitState(t, w.start("sn-pj-dakar"), id, agency.CopyDelivered, "gh-ag")
}

// TestStoreTwoOutboxConverted: a node file whose store is of format
// casenode-store-2, as today's casenode leaves it — the sealed bytes of a
// message still queued in outbox-raw, the entry naming no record — is
// converted when the node opens it (the format becomes casenode-store-3,
// which a casenode of format 2 refuses), and the queued message is
// published from the bytes the store kept.
func TestStoreTwoOutboxConverted(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	id, path := queuedWhileHubDown(t, w)
	s := readOutboxState(t, path, id)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket([]byte(auditlog.StoreBucket))
		outbox := root.Bucket([]byte("outbox"))
		var e map[string]json.RawMessage
		if err := json.Unmarshal(outbox.Get([]byte(id)), &e); err != nil {
			return err
		}
		delete(e, "sent_record")
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := outbox.Put([]byte(id), v); err != nil {
			return err
		}
		if err := root.Bucket([]byte("outbox-raw")).Put([]byte(id), s.payload); err != nil {
			return err
		}
		return root.Bucket([]byte("meta")).Put([]byte("format"), []byte("casenode-store-2"))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	w.restartHub()
	waitState(t, w.start("sn-pj-dakar"), id, agency.CopyDelivered, "gh-ag")
	w.stopNode("sn-pj-dakar")
	if got := readOutboxState(t, path, id).format; got != "casenode-store-3" {
		t.Errorf("store format %q after the node opened it, want casenode-store-3", got)
	}
}

// TestRestartedLogKeepsQueuedMessages: an audit log started over while a
// message waits for the hub: its outbox entry named its sent record in the
// old log, where the new log has another record; the restart copies its
// sealed bytes into the store, and the node publishes it.
func TestRestartedLogKeepsQueuedMessages(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	id, path := queuedWhileHubDown(t, w)
	before := readOutboxState(t, path, id)
	tn := w.nodes["sn-pj-dakar"]
	if _, err := agency.RestartAuditLog(context.Background(), tn.dir, tn.id, 0); err != nil {
		t.Fatal(err)
	}
	after := readOutboxState(t, path, id)
	if after.sentSeq >= 0 {
		t.Fatalf("the new log holds a sent record of %s at %d", id, after.sentSeq)
	}
	if after.sentRecord != nil {
		t.Errorf("after the restart the entry names record %d, want none", *after.sentRecord)
	}
	if string(after.kept) != string(before.payload) {
		t.Fatalf("after the restart the store keeps %d bytes, want the %d sealed bytes", len(after.kept), len(before.payload))
	}
	w.restartHub()
	waitState(t, w.start("sn-pj-dakar"), id, agency.CopyDelivered, "gh-ag")
}
