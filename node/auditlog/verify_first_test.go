package auditlog

import (
	"crypto/sha256"
	"errors"
	"testing"
)

// TestMessageChecksKeepTheFirstFailure records failures on the message
// checks in the orders the workers can finish them in, and looks at the
// one kept: the lowest, and at the same index the checkpoint's (the
// checkpoint of size i covers the records before record i, so the pass
// reaches it first), whichever finished first. Several workers finish in
// any order, so no run of Verify can choose these orders; this is the rule
// they rely on.
func TestMessageChecksKeepTheFirstFailure(t *testing.T) {
	msg := func(i int64) messageJob {
		return messageJob{i: i, rec: &Record{Seq: i, Type: TypeReceived, MessageID: "m"}}
	}
	cp := func(i int64) *VerifyError {
		return &VerifyError{Kind: KindIntegrity, Index: i, AtCheckpoint: true, What: "checkpoint signature does not verify"}
	}
	bad := errors.New("bad signature")
	for _, c := range []struct {
		name         string
		record       func(m *messageChecks)
		index        int64
		atCheckpoint bool
	}{
		{"message at 7, then checkpoint of size 7", func(m *messageChecks) { m.failed(msg(7), bad); m.failedAt(cp(7)) }, 7, true},
		{"checkpoint of size 7, then message at 7", func(m *messageChecks) { m.failedAt(cp(7)); m.failed(msg(7), bad) }, 7, true},
		{"message at 9, then checkpoint of size 7", func(m *messageChecks) { m.failed(msg(9), bad); m.failedAt(cp(7)) }, 7, true},
		{"checkpoint of size 7, then checkpoint of size 9", func(m *messageChecks) { m.failedAt(cp(7)); m.failedAt(cp(9)) }, 7, true},
		{"checkpoint of size 9, then message at 7", func(m *messageChecks) { m.failedAt(cp(9)); m.failed(msg(7), bad) }, 7, false},
		{"message at 7, then checkpoint of size 9", func(m *messageChecks) { m.failed(msg(7), bad); m.failedAt(cp(9)) }, 7, false},
	} {
		m := &messageChecks{}
		c.record(m)
		if m.first == nil || m.first.Index != c.index || m.first.AtCheckpoint != c.atCheckpoint {
			t.Errorf("%s: kept %+v, want index %d (checkpoint %v)", c.name, m.first, c.index, c.atCheckpoint)
		}
	}
}

// TestVerifyReportsTheFirstOfAStructuralAndAMessageFailure has a message
// check fail (a CheckMessage that refuses one record) in a log that also
// fails structurally: the failure reported is the one nearer the start of
// the log — the message's when it comes before the damaged record, the
// alteration's when the message is among the records that alteration
// names.
func TestVerifyReportsTheFirstOfAStructuralAndAMessageFailure(t *testing.T) {
	refuse := func(seq int64) MessageCheck {
		return func(rec *Record, _ []byte, _ *Trust) error {
			if rec.Seq == seq {
				return errors.New("refused by the test")
			}
			return nil
		}
	}

	f := newFixture(t)
	tamper(t, f.path, func(b *buckets) error { return b.payloads.Put(itob(33), flip(b.payloads.Get(itob(33)), 3)) })
	ve := wantFailure(t, f.verify(t, VerifyOptions{CheckMessage: refuse(12), Workers: 2}), KindTrust, 12, false)
	wantWhat(t, ve, "refused by the test")

	g := newFixture(t)
	const k = 22
	forged := []byte("a message the node never sent")
	rewrite(t, g.path, func(recs []*Record, payloads [][]byte) ([]*Record, [][]byte) {
		recs[k].PayloadHash, recs[k].PayloadSize = sha256.Sum256(forged), int64(len(forged))
		payloads[k] = forged
		return recs, payloads
	}, true)
	ve = wantFailure(t, g.verify(t, VerifyOptions{CheckMessage: refuse(k), Workers: 2}), KindIntegrity, k, false)
	wantWhat(t, ve, "does not match the records' root hash")
}
