package auditlog

import (
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
