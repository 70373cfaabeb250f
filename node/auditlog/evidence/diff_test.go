package evidence_test

import (
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/protocol"
)

// received is the receiver's record of m.
func (w *world) received(m *seal.Sealed) auditlog.Entry {
	return auditlog.Entry{Type: auditlog.TypeReceived, Actor: w.sender.Agency(), MessageID: m.Header.ID, Payload: m.Raw}
}

// diff writes the two logs and diffs them.
func (w *world) diff(senderEntries, receiverEntries []auditlog.Entry) *evidence.Report {
	w.t.Helper()
	rpath := w.logOf(w.to, w.sender, receiverEntries...)
	spath := w.log(senderEntries...)
	open := func(p string) *auditlog.Reader {
		r, err := auditlog.OpenReader(p, auditlog.ReadOptions{})
		if err != nil {
			w.t.Fatal(err)
		}
		w.t.Cleanup(func() { r.Close() })
		return r
	}
	rep, err := evidence.Diff(open(spath), open(rpath))
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

// TestDiff pairs two logs written here: in agreement, with a message the
// receiver rejected (not a finding), and with one the receiver's log has
// not got yet.
func TestDiff(t *testing.T) {
	w := newWorld(t)
	m1, m2, m3 := w.message(), w.message(), w.message()
	d1 := w.receipt(w.to, m1, protocol.ReceiptDelivered, w.t0.Add(time.Second), nil)
	r1 := w.receipt(w.to, m1, protocol.ReceiptRead, w.t0.Add(time.Minute), nil)
	d2 := w.receipt(w.to, m2, protocol.ReceiptDelivered, w.t0.Add(time.Second), nil)
	rejected := auditlog.RejectedEntry(w.sender.Agency(), m3.Header.ID, protocol.ReasonExpired, "expired", m3.Raw)

	rep := w.diff([]auditlog.Entry{sent(m1), sent(m2), sent(m3), d1, d2, r1}, []auditlog.Entry{w.received(m1), d1, w.received(m2), d2, r1, rejected})
	if len(rep.Issues) != 0 || rep.Sent != 3 || rep.Received != 2 || rep.Rejected != 1 || rep.Paired != 2 || rep.ReceiptsIssued != 3 || rep.ReceiptsHeld != 3 || rep.Worst() != "" {
		t.Fatalf("report %+v", rep)
	}
	tl := rep.Timelines[0]
	if tl.MessageID != m1.Header.ID || tl.Delivered == nil || !tl.Delivered.Equal(w.t0.Add(time.Second).Truncate(time.Millisecond)) || tl.Read == nil || tl.ReadAtSender == nil {
		t.Fatalf("timeline %+v", tl)
	}
	if rep.Timelines[1].Read != nil {
		t.Fatalf("timeline %+v", rep.Timelines[1])
	}

	// The receiver's log was written before the sender's: what it lacks
	// may be on its way, and the report says so.
	rep = w.diff([]auditlog.Entry{sent(m1), sent(m2)}, []auditlog.Entry{w.received(m1)})
	if len(rep.Issues) != 1 || rep.Issues[0].Kind != evidence.SentNotReceived || rep.Issues[0].MessageID != m2.Header.ID ||
		rep.Issues[0].ReceiverIndex != -1 || !strings.Contains(rep.Issues[0].Detail, "it may still be on its way") || rep.Worst() != evidence.SentNotReceived {
		t.Fatalf("issues %+v", rep.Issues)
	}

	// A receipt the sender holds that binds another hash.
	bad := w.receipt(w.to, m1, protocol.ReceiptDelivered, w.t0.Add(time.Second), func(r *protocol.Receipt) { r.MessageHash = strings.Repeat("ab", 32) })
	rep = w.diff([]auditlog.Entry{sent(m1), bad}, []auditlog.Entry{w.received(m1), bad})
	if len(rep.Issues) != 1 || rep.Issues[0].Kind != evidence.HashMismatch || rep.Issues[0].ReceiptKind != protocol.ReceiptDelivered ||
		!strings.Contains(rep.Issues[0].Detail, "the receipt binds SHA-256 abab") {
		t.Fatalf("issues %+v", rep.Issues)
	}
}

// TestDiffRefusesOneAgency: two logs of one agency are not a pair.
func TestDiffRefusesOneAgency(t *testing.T) {
	w := newWorld(t)
	a, b := w.log(), w.log()
	ra, err := auditlog.OpenReader(a, auditlog.ReadOptions{})
	must(t, err)
	defer ra.Close()
	rb, err := auditlog.OpenReader(b, auditlog.ReadOptions{})
	must(t, err)
	defer rb.Close()
	if _, err := evidence.Diff(ra, rb); err == nil || !strings.Contains(err.Error(), "both logs are of agency sn-pj-dakar") {
		t.Fatalf("got %v", err)
	}
}

// BenchmarkDiff diffs two logs of 1,000 messages, each delivered and read
// (4,000 records in the sender's log, as many in the receiver's); it
// reports records read per second.
func BenchmarkDiff(b *testing.B) {
	w := newWorld(b)
	var s, r []auditlog.Entry
	for range 1000 {
		m := w.message()
		d := w.receipt(w.to, m, protocol.ReceiptDelivered, w.t0.Add(time.Second), nil)
		rd := w.receipt(w.to, m, protocol.ReceiptRead, w.t0.Add(time.Minute), nil)
		s = append(s, sent(m), d, rd)
		r = append(r, w.received(m), d, rd)
	}
	rpath, spath := w.logOf(w.to, w.sender, r...), w.log(s...)
	sr, err := auditlog.OpenReader(spath, auditlog.ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer sr.Close()
	rr, err := auditlog.OpenReader(rpath, auditlog.ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer rr.Close()
	b.ResetTimer()
	var records int64
	for b.Loop() {
		rep, err := evidence.Diff(sr, rr)
		if err != nil || rep.Paired != 1000 || len(rep.Issues) != 0 {
			b.Fatalf("%v %+v", err, rep)
		}
		records += rep.SenderRecords + rep.ReceiverRecords
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
