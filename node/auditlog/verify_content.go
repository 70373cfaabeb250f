package auditlog

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/casenode/casenode/protocol"
)

// content checks what a record's payload must be for its type, and keeps
// the trust up to date as key, config and roster records go by
// (TrustTrail): a roster record must verify with the secretariat key the
// config in force pins, and move the serial strictly forward. Message signatures go to the
// message checks, with the trust in force at that record.
func (v *verifier) content(i int64, rec *Record, payload []byte) error {
	if i == 0 {
		return v.first(rec, payload)
	}
	switch rec.Type {
	case TypeKey, TypeConfig, TypeRoster:
		before := v.trail.Trust()
		if rec.Type == TypeKey {
			if err := v.partnerCard(i, before, payload); err != nil {
				return err
			}
		}
		t, err := v.trail.Take(rec, payload)
		if err != nil {
			return v.takeFailure(i, err)
		}
		if own := t.Own(); own != before.Own() {
			v.addOwnKey(own)
		}
	case TypeCheckpoint:
		// Logs written before every commit signed hold these.
		stored := v.b.checkpoints.Get(itob(i))
		if stored == nil {
			if c, _, err := ParseCheckpoint(payload); err == nil && c.Size > i {
				return v.altered(c.Size, fmt.Sprintf("the checkpoint record of size %d stands at record %d", c.Size, i), fmt.Sprint(c.Size), fmt.Sprint(i))
			}
			return v.fail(KindIntegrity, i, "checkpoint record without a stored checkpoint of this size", "", "")
		}
		if !bytes.Equal(payload, stored) {
			return v.fail(KindIntegrity, i, "checkpoint record differs from the stored checkpoint of this size", "", "")
		}
	case TypeRestart:
		if i != 1 {
			return v.fail(KindIntegrity, i, "a restart record is only ever record 1", "index 1", fmt.Sprint(i))
		}
		rs, err := DecodeRestart(payload)
		if err != nil {
			return v.fail(KindIntegrity, i, err.Error(), "", "")
		}
		if rs.Checkpoint != "" {
			if c, _, _ := ParseCheckpoint([]byte(rs.Checkpoint)); c.Origin != v.origin {
				return v.fail(KindTrust, i, "the restart record names another log's checkpoint", v.origin, c.Origin)
			}
		}
	case TypeRejected:
		if _, err := DecodeRejection(payload); err != nil {
			return v.fail(KindIntegrity, i, err.Error(), "", "")
		}
	case TypeSent, TypeReceived, TypeReceipt:
		if v.msgs.check != nil {
			rec := *rec // v.rec is the next record's once this one is queued
			v.msgs.add(messageJob{i: i, rec: &rec, payload: payload, trust: v.trail.Trust(), lastGood: v.lastGood})
		}
	}
	return nil
}

// first checks record 0: the card of the agency whose log this is, as the
// origin says and as the anchor card, if given, says.
func (v *verifier) first(rec *Record, payload []byte) error {
	if rec.Type != TypeKey {
		return v.fail(KindTrust, 0, "record 0 must hold the agency's own member card", "type key", "type "+rec.Type.String())
	}
	card, err := protocol.ParseMemberCard(payload)
	if err != nil {
		return v.fail(KindIntegrity, 0, "record 0 does not hold a valid member card: "+err.Error(), "", "")
	}
	if o := Origin(card.Network, card.Agency); o != v.origin {
		return v.fail(KindTrust, 0, "record 0 is the card of another agency than the log's origin", v.origin, o)
	}
	if c := v.o.Card; c != nil && (c.Network != card.Network || c.Agency != card.Agency) {
		return v.fail(KindTrust, 0, "this is another agency's log", "the log of "+Origin(c.Network, c.Agency), "the log of "+v.origin)
	}
	t, err := v.trail.Take(rec, payload)
	if err != nil {
		return v.takeFailure(0, err)
	}
	v.addOwnKey(t.Own())
	return nil
}

// takeFailure is the failure at record i that the trust could not take.
func (v *verifier) takeFailure(i int64, err error) error {
	if te, ok := err.(*takeError); ok {
		return v.fail(te.kind, i, te.what, "", "")
	}
	return v.fail(KindTrust, i, err.Error(), "", "")
}

// addOwnKey notes one of the log's own cards, and whether it has the
// anchor card's key.
func (v *verifier) addOwnKey(card *protocol.MemberCard) {
	v.ownKeys = append(v.ownKeys, card)
	if v.o.Card != nil && card.PublicKey().Equal(v.o.Card.PublicKey()) {
		v.anchored = true
	}
}

// messageChecks runs a MessageCheck on several goroutines and keeps the
// failure at the lowest record.
type messageChecks struct {
	check   MessageCheck
	jobs    chan messageJob
	wg      sync.WaitGroup
	mu      sync.Mutex
	first   *VerifyError
	checked int64
}

type messageJob struct {
	i        int64
	rec      *Record
	payload  []byte
	trust    *Trust
	lastGood *Checkpoint
	// sig, when set, is the check of a stored checkpoint's signature at
	// tree size i instead: every commit stores one, so they are checked
	// on the workers too.
	sig func() *VerifyError
}

func startMessageChecks(check MessageCheck, workers int) *messageChecks {
	m := &messageChecks{check: check}
	m.jobs = make(chan messageJob, 4*workers)
	for range workers {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			for j := range m.jobs {
				if m.failedBefore(j.i) {
					continue
				}
				if j.sig != nil {
					if e := j.sig(); e != nil {
						m.failedAt(e)
					}
					continue
				}
				if err := m.check(j.rec, j.payload, j.trust); err != nil {
					m.failed(j, err)
				}
			}
		}()
	}
	return m
}

// add queues the check of record i.
func (m *messageChecks) add(j messageJob) {
	if m.check == nil {
		return
	}
	m.checked++
	m.jobs <- j
}

// addSignature queues the signature check of the stored checkpoint of
// size i.
func (m *messageChecks) addSignature(i int64, check func() *VerifyError) {
	m.jobs <- messageJob{i: i, sig: check}
}

// failedAt notes a checkpoint's failure, if it is the first.
func (m *messageChecks) failedAt(e *VerifyError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first == nil || e.Index <= m.first.Index {
		m.first = e
	}
}

func (m *messageChecks) failedBefore(i int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.first != nil && m.first.Index < i
}

func (m *messageChecks) failed(j messageJob, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first == nil || j.i < m.first.Index {
		what := fmt.Sprintf("%s record", j.rec.Type)
		if j.rec.MessageID != "" {
			what += " of message " + j.rec.MessageID
		}
		m.first = &VerifyError{Kind: KindTrust, Index: j.i, What: what + ": " + err.Error(), LastGood: j.lastGood}
	}
}

// wait waits for the checks queued and returns the first failure.
func (m *messageChecks) wait() *VerifyError {
	close(m.jobs)
	m.wg.Wait()
	return m.first
}

// partnerCard checks a key record of another agency: once a roster is in
// force, the node records only the cards that roster holds, so the card
// must be its member's card, byte for byte. Before the first roster record
// nothing can check it: it is counted apart.
func (v *verifier) partnerCard(i int64, t *Trust, payload []byte) error {
	card, err := protocol.ParseMemberCard(payload)
	if err != nil || t == nil || card.Agency == t.Own().Agency {
		return nil // the trail reports a bad card; the own card is not the roster's to give
	}
	r := t.Roster()
	if r == nil {
		v.rep.CardsBeforeRoster++
		return nil
	}
	m := r.Member(card.Agency)
	if m == nil {
		return v.fail(KindTrust, i, fmt.Sprintf("key record of %s, which roster serial %d in force here does not list", card.Agency, r.Serial), "", "")
	}
	want, err := m.Card.Marshal()
	if err != nil || !bytes.Equal(want, payload) {
		return v.fail(KindTrust, i, fmt.Sprintf("key record of %s is not the card roster serial %d in force here holds", card.Agency, r.Serial), "kid "+m.Card.KeyID(), "kid "+card.KeyID())
	}
	v.rep.CardsChecked++
	return nil
}
