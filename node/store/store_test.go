package store_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

var t0 = time.Date(2025, 5, 20, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func header(id, from, caseID string, typ protocol.MessageType, created time.Time, to ...string) *protocol.Header {
	return &protocol.Header{Alg: "EdDSA", Case: caseID, Created: protocol.NewTime(created), From: from, ID: id, Kid: "k",
		MsgType: typ, Net: "wacap", To: to, Typ: protocol.MessageJWSType, V: 1}
}

func id(t time.Time) string { return protocol.NewMessageID(t) }

func update(t *testing.T, s *store.Store, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func counts(t *testing.T, s *store.Store) store.Counts {
	var c store.Counts
	s.View(func(tx *store.Tx) error { c = tx.Counts(); return nil })
	return c
}

func TestInbox(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), store.OldFileName))
	a, b, c := id(t0), id(t0.Add(time.Second)), id(t0.Add(2*time.Second))
	update(t, s, func(tx *store.Tx) error {
		for _, e := range []*store.InboxEntry{
			{Header: header(a, "gh-ag", "c-1", protocol.TypeLead, t0, "sn-pj-dakar"), Body: json.RawMessage(`{}`), Hash: "h1", Received: t0},
			{Header: header(b, "ml-pj", "", protocol.TypeRequest, t0, "sn-pj-dakar"), Body: json.RawMessage(`{}`), Hash: "h2", Received: t0},
			{Header: header(c, "gh-ag", "c-1", protocol.TypeReply, t0.Add(time.Minute), "sn-pj-dakar"), Body: json.RawMessage(`{}`), Hash: "h3", Received: t0},
		} {
			if err := tx.AddInbox(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err := s.Update(func(tx *store.Tx) error {
		return tx.AddInbox(&store.InboxEntry{Header: header(a, "gh-ag", "", protocol.TypeLead, t0, "sn-pj-dakar")})
	}); err == nil {
		t.Error("a message was added to the inbox twice")
	}
	var first, again bool
	update(t, s, func(tx *store.Tx) (err error) {
		if first, err = tx.MarkRead(b, "awa", t0); err != nil {
			return err
		}
		again, err = tx.MarkRead(b, "moussa", t0.Add(time.Hour))
		return err
	})
	if !first || again {
		t.Errorf("MarkRead: first %v, again %v", first, again)
	}
	for _, tt := range []struct {
		f    store.InboxFilter
		want []string
	}{
		{store.InboxFilter{}, []string{a, b, c}},
		{store.InboxFilter{From: "gh-ag"}, []string{a, c}},
		{store.InboxFilter{Case: "c-1", Type: protocol.TypeReply}, []string{c}},
		{store.InboxFilter{Unread: true}, []string{a, c}},
		{store.InboxFilter{After: 1, Limit: 1}, []string{b}},
	} {
		var got []string
		s.View(func(tx *store.Tx) error {
			es, err := tx.ListInbox(tt.f)
			for _, e := range es {
				got = append(got, e.Header.ID)
			}
			return err
		})
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListInbox(%+v) = %v, want %v", tt.f, got, tt.want)
		}
	}
	if c := counts(t, s); c.Inbox != 3 || c.Unread != 2 {
		t.Errorf("counts: %+v", c)
	}
	var th []*store.ThreadItem
	var cs *store.CaseSummary
	s.View(func(tx *store.Tx) (err error) {
		th, err = tx.Thread("c-1")
		if err == nil {
			cs, err = tx.Case("c-1")
		}
		return err
	})
	if len(th) != 2 || th[0].ID != a || th[1].ID != c || cs.Messages != 2 || cs.Received != 2 || cs.LastType != protocol.TypeReply ||
		!slices.Equal(cs.Agencies, []string{"gh-ag", "sn-pj-dakar"}) {
		t.Errorf("thread %+v, summary %+v", th, cs)
	}
}

func TestOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.OldFileName)
	s := open(t, path)
	m := id(t0)
	update(t, s, func(tx *store.Tx) error {
		return tx.AddOutbox(&store.OutboxEntry{Header: header(m, "sn-pj-dakar", "c-9", protocol.TypeLead, t0, "gh-ag", "ml-pj"), Hash: "h"}, []byte("sealed"))
	})
	if c := counts(t, s); c.Outbox != 1 || c.Copies[store.CopyQueued] != 2 {
		t.Fatalf("counts: %+v", c)
	}
	advance := func(to string, st store.CopyState, reason protocol.Reason) {
		update(t, s, func(tx *store.Tx) error {
			_, err := tx.UpdateCopy(m, to, func(c *store.Copy) bool { return c.Advance(st, reason, t0) })
			return err
		})
	}
	advance("gh-ag", store.CopyRelayed, "")
	advance("gh-ag", store.CopyRead, "")
	advance("gh-ag", store.CopyDelivered, "") // never backwards
	advance("ml-pj", store.CopyRejected, protocol.ReasonExpired)
	s.Close()

	s = open(t, path)
	var e *store.OutboxEntry
	var raw []byte
	var pending []*store.OutboxEntry
	s.View(func(tx *store.Tx) (err error) {
		e, err = tx.Outbox(m)
		raw = tx.OutboxRaw(m)
		if err == nil {
			pending, err = tx.ListOutbox(store.OutboxFilter{Pending: true})
		}
		return err
	})
	if g := e.Copies["gh-ag"]; g.State != store.CopyRead || g.Delivered == nil || g.Relayed == nil {
		t.Errorf("gh-ag copy: %+v", g)
	}
	if r := e.Copies["ml-pj"]; r.State != store.CopyRejected || r.Reason != protocol.ReasonExpired {
		t.Errorf("ml-pj copy: %+v", r)
	}
	if string(raw) != "sealed" || e.Pending() || len(pending) != 0 {
		t.Errorf("raw %q, pending %v, pending list %d", raw, e.Pending(), len(pending))
	}
	if c := counts(t, s); c.Copies[store.CopyQueued] != 0 || c.Copies[store.CopyRead] != 1 || c.Copies[store.CopyRejected] != 1 {
		t.Errorf("counts: %+v", c)
	}
}

func TestContactsReceiptsRejections(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), store.OldFileName))
	card := func(agency string, updated time.Time) *store.Contact {
		return &store.Contact{Card: &protocol.ContactCard{Version: 1, Agency: agency, Country: "SN", Updated: protocol.NewTime(updated)}}
	}
	var stored []bool
	update(t, s, func(tx *store.Tx) error {
		for _, c := range []*store.Contact{card("gh-ag", t0), card("gh-ag", t0.Add(time.Hour)), card("gh-ag", t0.Add(time.Minute)), card("ml-pj", t0)} {
			ok, err := tx.OfferContact(c)
			if err != nil {
				return err
			}
			stored = append(stored, ok)
		}
		return nil
	})
	if !slices.Equal(stored, []bool{true, true, false, true}) {
		t.Errorf("stored %v", stored)
	}
	var cs []*store.Contact
	s.View(func(tx *store.Tx) (err error) { cs, err = tx.Contacts(); return err })
	if len(cs) != 2 || !cs[0].Card.Updated.Equal(t0.Add(time.Hour)) {
		t.Errorf("contacts: %+v", cs)
	}

	update(t, s, func(tx *store.Tx) error {
		for i := range 3 {
			if err := tx.QueueReceipt(&store.QueuedReceipt{ID: id(t0), To: "gh-ag", Kind: protocol.ReceiptDelivered, JWS: []byte{byte(i)}}); err != nil {
				return err
			}
			if err := tx.AddRejection(&store.Rejection{Time: t0, From: "unknown", Reason: protocol.ReasonMalformed, Detail: string(rune('a' + i))}); err != nil {
				return err
			}
		}
		return tx.DequeueReceipt(2)
	})
	var qs []*store.QueuedReceipt
	var rs []*store.Rejection
	s.View(func(tx *store.Tx) (err error) {
		if qs, err = tx.QueuedReceipts(); err == nil {
			rs, err = tx.Rejections(2)
		}
		return err
	})
	if len(qs) != 2 || qs[0].Seq != 1 || qs[1].Seq != 3 {
		t.Errorf("queued receipts: %+v", qs)
	}
	if len(rs) != 2 || rs[0].Detail != "c" || rs[1].Detail != "b" {
		t.Errorf("newest rejections: %+v", rs)
	}
	if c := counts(t, s); c.ReceiptsQueued != 2 || c.Rejected != 3 {
		t.Errorf("counts: %+v", c)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.OldFileName)
	open(t, path)
	_, err := store.Open(path, 50*time.Millisecond)
	var inUse *store.InUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("second open: %v", err)
	}
}

// TestCommitGroups commits from many goroutines at once: each function
// that succeeds is durable, one that fails changes nothing, whatever
// group they shared.
func TestCommitGroups(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.OldFileName)
	s := open(t, path)
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Go(func() {
			errs[i] = s.Commit(func(tx *store.Tx) error {
				if err := tx.AddRejection(&store.Rejection{Time: t0, From: "unknown", Reason: protocol.ReasonMalformed}); err != nil {
					return err
				}
				if i%8 == 0 {
					return errors.New("refused")
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i%8 == 0) {
			t.Errorf("commit %d: %v", i, err)
		}
	}
	s.Close()
	if err := s.Commit(func(*store.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("commit after close: %v", err)
	}
	s = open(t, path)
	if c := counts(t, s); c.Rejected != 56 {
		t.Errorf("%d rejections stored, want 56", c.Rejected)
	}
}

// TestOutboxSentRecord: an entry that names its sent record is added
// without sealed bytes, and the store keeps none for it; an entry with
// both, or neither, is refused. KeepOutboxRaw turns the first kind into
// the second.
func TestOutboxSentRecord(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), store.OldFileName))
	defer s.Close()
	m, m2 := id(t0), id(t0.Add(time.Second))
	seq := int64(7)
	update(t, s, func(tx *store.Tx) error {
		return tx.AddOutbox(&store.OutboxEntry{Header: header(m, "sn-pj-dakar", "", protocol.TypeLead, t0, "gh-ag"), Hash: "h", SentRecord: &seq}, nil)
	})
	err := s.Update(func(tx *store.Tx) error {
		if err := tx.AddOutbox(&store.OutboxEntry{Header: header(m2, "sn-pj-dakar", "", protocol.TypeLead, t0, "gh-ag"), Hash: "h", SentRecord: &seq}, []byte("sealed")); err == nil {
			t.Error("an entry with a sent record and sealed bytes was added")
		}
		if err := tx.AddOutbox(&store.OutboxEntry{Header: header(m2, "sn-pj-dakar", "", protocol.TypeLead, t0, "gh-ag"), Hash: "h"}, nil); err == nil {
			t.Error("an entry with neither a sent record nor sealed bytes was added")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *store.Tx) error {
		e, err := tx.Outbox(m)
		if err != nil || e == nil || e.SentRecord == nil || *e.SentRecord != 7 {
			t.Fatalf("entry %+v, %v: want sent record 7", e, err)
		}
		if raw := tx.OutboxRaw(m); raw != nil {
			t.Errorf("the store keeps %q for an entry that names its record", raw)
		}
		return nil
	})
	update(t, s, func(tx *store.Tx) error { return tx.KeepOutboxRaw(m, []byte("sealed")) })
	s.View(func(tx *store.Tx) error {
		e, _ := tx.Outbox(m)
		if e.SentRecord != nil || string(tx.OutboxRaw(m)) != "sealed" {
			t.Errorf("after KeepOutboxRaw: record %v, kept %q; want none and the bytes", e.SentRecord, tx.OutboxRaw(m))
		}
		return nil
	})
}
