package store

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// TestOutboxEntryWithInlineCopies reads an entry written before the copies
// were kept apart (copies inside the entry, none in outbox-copies): it
// reads whole, its first change moves the copies apart without rewriting
// the entry, and the pending index follows.
func TestOutboxEntryWithInlineCopies(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), OldFileName), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2025, 5, 20, 9, 0, 0, 0, time.UTC)
	id := protocol.NewMessageID(at)
	old := &OutboxEntry{
		Seq: 7,
		Header: &protocol.Header{ID: id, From: "sn-pj-dakar", To: []string{"gh-ag"}, MsgType: protocol.TypeLead,
			Created: protocol.NewTime(at)},
		Body:   json.RawMessage(`{"summary":"x"}`),
		Hash:   "h",
		Copies: map[string]*Copy{"gh-ag": {State: CopyRelayed}},
	}
	v, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	entryBefore := string(v)
	err = s.Update(func(tx *Tx) error {
		if err := tx.bucket(bucketOutbox).Put([]byte(id), v); err != nil {
			return err
		}
		if err := tx.bucket(bucketOutSeq).Put(seqKey(7), []byte(id)); err != nil {
			return err
		}
		return tx.bucket(bucketOutWait).Put(seqKey(7), []byte(id))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(tx *Tx) error {
		e, err := tx.Outbox(id)
		if err != nil {
			return err
		}
		if e == nil || e.Copies["gh-ag"] == nil || e.Copies["gh-ag"].State != CopyRelayed || !e.Pending() {
			t.Fatalf("old entry read as %+v", e)
		}
		c, err := tx.UpdateCopy(id, "gh-ag", func(c *Copy) bool { return c.Advance(CopyDelivered, "", at) })
		if err != nil {
			return err
		}
		if c == nil || c.State != CopyDelivered {
			t.Fatalf("UpdateCopy returned %+v", c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *Tx) error {
		if got := string(tx.bucket(bucketOutbox).Get([]byte(id))); got != entryBefore {
			t.Errorf("the entry was rewritten:\n%s\nwant\n%s", got, entryBefore)
		}
		if tx.bucket(bucketOutCopy).Get([]byte(id)) == nil {
			t.Error("the copies were not moved to outbox-copies")
		}
		if tx.bucket(bucketOutWait).Get(seqKey(7)) != nil {
			t.Error("the entry is still in the pending index")
		}
		e, err := tx.Outbox(id)
		if err != nil || e.Copies["gh-ag"].State != CopyDelivered || e.Pending() {
			t.Errorf("after the change: %+v, %v", e, err)
		}
		return nil
	})
}

// TestUpdateCopyLeavesTheEntry checks that a copy's change writes only the
// copies: the stored entry, body included, stays byte for byte.
func TestUpdateCopyLeavesTheEntry(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), OldFileName), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2025, 5, 20, 9, 0, 0, 0, time.UTC)
	id := protocol.NewMessageID(at)
	e := &OutboxEntry{Header: &protocol.Header{ID: id, From: "sn-pj-dakar", To: []string{"gh-ag", "ml-pj"}, MsgType: protocol.TypeLead,
		Created: protocol.NewTime(at)},
		Body: json.RawMessage(`{"summary":"x"}`), Hash: "h"}
	var before string
	err = s.Update(func(tx *Tx) error {
		if err := tx.AddOutbox(e, []byte("sealed")); err != nil {
			return err
		}
		before = string(tx.bucket(bucketOutbox).Get([]byte(id)))
		_, err := tx.UpdateCopy(id, "ml-pj", func(c *Copy) bool { return c.Advance(CopyRelayed, "", at) })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *Tx) error {
		if got := string(tx.bucket(bucketOutbox).Get([]byte(id))); got != before {
			t.Errorf("entry changed: %s, was %s", got, before)
		}
		var stored OutboxEntry
		if err := json.Unmarshal([]byte(before), &stored); err != nil || stored.Copies != nil {
			t.Errorf("the entry holds its copies inline: %s", before)
		}
		got, err := tx.Outbox(id)
		if err != nil || got.Copies["ml-pj"].State != CopyRelayed || got.Copies["gh-ag"].State != CopyQueued || got.Seq != e.Seq {
			t.Errorf("read back: %+v, %v", got, err)
		}
		return nil
	})
}
