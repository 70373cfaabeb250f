package agency_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// countRecords counts the audit records of type t about message id.
func countRecords(recs []auditRecord, t auditlog.Type, id string) int {
	n := 0
	for _, r := range recs {
		if r.Type == t && r.MessageID == id {
			n++
		}
	}
	return n
}

// TestIntentsCompleteAnInterruptedCommit leaves in a node directory of the
// earlier layout (store and audit log in two files) what a crash between
// the store's commit and the audit log's would: an intent whose records
// the audit log partly has. Opened again, the node converts the directory
// to its one file, appends the missing record, does not repeat the one it
// has, and deletes the intent.
func TestIntentsCompleteAnInterruptedCommit(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	id := send(t, w.node("sn-pj-dakar"), protocol.TypeLead, "c-1", "gh-ag")
	waitState(t, w.node("sn-pj-dakar"), id, agency.CopyDelivered, "gh-ag")
	before := w.audit("sn-pj-dakar")
	var sent auditRecord
	for _, r := range before {
		if r.Type == auditlog.TypeSent && r.MessageID == id {
			sent = r
		}
	}
	if sent.Record == nil {
		t.Fatalf("no sent record for %s", id)
	}
	w.stopNode("sn-pj-dakar")

	lost := protocol.NewMessageID(time.Now())
	lostPayload := []byte("sealed bytes of a message whose audit record a crash lost")
	dir := w.nodes["sn-pj-dakar"].dir
	splitLayout(t, dir)
	st, err := store.Open(filepath.Join(dir, store.OldFileName), 0)
	if err != nil {
		t.Fatal(err)
	}
	var settling int64 // intents of the last commits, settled but not yet deleted
	err = st.Update(func(tx *store.Tx) error {
		settling = tx.Counts().AuditIntents
		return tx.AddAuditIntent(&store.AuditIntent{From: sent.Seq, Records: []store.IntentRecord{
			{Type: uint8(auditlog.TypeSent), Actor: sent.Actor, MessageID: id, Payload: sent.Payload},
			{Type: uint8(auditlog.TypeReceived), Actor: "gh-ag", MessageID: lost, Payload: lostPayload},
		}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.View(func(tx *store.Tx) error {
		if c := tx.Counts().AuditIntents; c != settling+1 {
			t.Errorf("intents before reopening: %d, want %d", c, settling+1)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	n, err := agency.Open(context.Background(), dir, w.nodeOptions("sn-pj-dakar"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := n.AuditSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := n.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	after := readAudit(t, buf.Bytes())
	if got := countRecords(after, auditlog.TypeSent, id); got != 1 {
		t.Errorf("sent records of %s: %d, want 1 (the intent's copy is already in the log)", id, got)
	}
	if got := countRecords(after, auditlog.TypeReceived, lost); got != 1 {
		t.Errorf("received records of %s: %d, want 1 (completed from the intent)", lost, got)
	}
	for _, r := range after {
		if r.Type == auditlog.TypeReceived && r.MessageID == lost && (!bytes.Equal(r.Payload, lostPayload) || r.Actor != "gh-ag") {
			t.Errorf("completed record: actor %q, payload %q", r.Actor, r.Payload)
		}
	}
	if len(after) < len(before)+1 {
		t.Errorf("audit log: %d records, want at least %d", len(after), len(before)+1)
	}
	if s.Audit.Records != int64(len(after)) {
		t.Errorf("status counts %d audit records, the snapshot holds %d", s.Audit.Records, len(after))
	}
	if _, err := os.Stat(filepath.Join(dir, store.OldFileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s after the conversion: %v, want it moved aside", store.OldFileName, err)
	}
	st, closeStore := openStore(t, dir)
	defer closeStore()
	if err := st.View(func(tx *store.Tx) error {
		in, err := tx.AuditIntents()
		if len(in) != 0 || tx.Counts().AuditIntents != 0 {
			t.Errorf("intents after reopening: %d (count %d), want none", len(in), tx.Counts().AuditIntents)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestNoIntentsInOneFile checks that a node whose store is in its audit
// log's file writes no intent at all — a message and its records commit
// together — and that opening the node again appends nothing to the audit
// log.
func TestNoIntentsInOneFile(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	var ids []string
	for range 20 {
		ids = append(ids, send(t, w.node("sn-pj-dakar"), protocol.TypeLead, "c-1", "gh-ag"))
	}
	for _, id := range ids {
		waitState(t, w.node("sn-pj-dakar"), id, agency.CopyDelivered, "gh-ag")
	}
	for _, a := range []string{"sn-pj-dakar", "gh-ag"} {
		w.stopNode(a)
		dir := w.nodes[a].dir
		if _, err := os.Stat(filepath.Join(dir, store.OldFileName)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %s: %v, want no such file", a, store.OldFileName, err)
		}
		r, err := auditlog.OpenReader(filepath.Join(dir, auditlog.FileName), auditlog.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		before, err := r.Size()
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		st, closeStore := openStore(t, dir)
		var left int64
		var marked bool
		st.View(func(tx *store.Tx) error {
			left = tx.Counts().AuditIntents
			_, marked = tx.SentMark()
			return nil
		})
		closeStore()
		if left != 0 || marked {
			t.Errorf("%s: %d intents and sent mark %v after 20 messages, want none", a, left, marked)
		}
		n, err := agency.Open(context.Background(), dir, w.nodeOptions(a))
		if err != nil {
			t.Fatal(err)
		}
		s, err := n.Status(context.Background())
		n.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s.Audit.Records != before {
			t.Errorf("%s: %d audit records after reopening, %d before: recovery appended records the log had", a, s.Audit.Records, before)
		}
	}
}

// TestSentRecordWithoutOutboxEntryIsSent leaves in a node directory of the
// earlier layout what a crash between the audit log's commit and the
// outbox's leaves: a sent record of a message the outbox does not hold.
// Opened again, the node converts the directory, rebuilds the outbox entry
// from the sealed bytes and sends the message, once, with one sent record.
func TestSentRecordWithoutOutboxEntryIsSent(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	first := send(t, w.node("sn-pj-dakar"), protocol.TypeLead, "c-1", "gh-ag")
	waitState(t, w.node("sn-pj-dakar"), first, agency.CopyDelivered, "gh-ag")
	w.stopNode("sn-pj-dakar")

	dir := w.nodes["sn-pj-dakar"].dir
	sealed := w.sealAs(w.nodes["sn-pj-dakar"].id, protocol.TypeLead, seal.Options{Case: "c-1"}, "gh-ag")
	n, err := agency.Open(context.Background(), dir, w.nodeOptions("sn-pj-dakar"))
	if err != nil {
		t.Fatal(err)
	}
	size, err := n.AuditSize()
	if err == nil {
		err = n.AppendAudit(context.Background(), auditlog.Entry{Type: auditlog.TypeSent, Actor: "aminata.diallo", MessageID: sealed.Header.ID, Payload: sealed.Raw})
	}
	n.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The earlier layout, with the mark its last commit of sent messages
	// left: the sent record is after it.
	splitLayout(t, dir)
	st, err := store.Open(filepath.Join(dir, store.OldFileName), 0)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(tx *store.Tx) error { return tx.SetSentMark(size) })
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	a := w.start("sn-pj-dakar")
	waitState(t, a, sealed.Header.ID, agency.CopyDelivered, "gh-ag")
	if got := inboxIDs(t, w.node("gh-ag")); !slices.Contains(got, sealed.Header.ID) || len(got) != 2 {
		t.Errorf("gh-ag's inbox = %v, want %s and %s", got, first, sealed.Header.ID)
	}
	out, err := a.Outbox(context.Background(), agency.OutboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var rebuilt *agency.OutboxItem
	for _, m := range out {
		if m.ID == sealed.Header.ID {
			rebuilt = m
		}
	}
	if rebuilt == nil || rebuilt.Case != "c-1" || rebuilt.SentBy != "aminata.diallo" || rebuilt.Summary == "" {
		t.Errorf("rebuilt outbox entry: %+v", rebuilt)
	}
	if got := countRecords(w.audit("sn-pj-dakar"), auditlog.TypeSent, sealed.Header.ID); got != 1 {
		t.Errorf("sent records of %s: %d, want 1", sealed.Header.ID, got)
	}
}
