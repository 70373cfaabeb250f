package auditlog

import (
	"context"
	"testing"
)

// TestFlushWaitsForQueuedAppends queues appends without waiting for them,
// then flushes: every one of them is durable when Flush returns, and a
// flush of an idle log returns at once and writes nothing.
func TestFlushWaitsForQueuedAppends(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	l := openLog(t, testPath(t), a.options())
	defer l.Close()
	ctx := context.Background()
	var ps []*Pending
	for i := range 50 {
		ps = append(ps, l.AppendAsync(entry(i, peer)))
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		select {
		case <-p.Done():
		default:
			t.Fatalf("append %d is still pending after Flush", i)
		}
	}
	n, err := l.Size()
	if err != nil {
		t.Fatal(err)
	}
	if n != 51 { // the log's own card, then the 50 entries
		t.Fatalf("size after Flush = %d, want 51", n)
	}
	for range 3 {
		if err := l.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if m, _ := l.Size(); m != n {
		t.Fatalf("idle flushes wrote records: size %d, was %d", m, n)
	}
}
