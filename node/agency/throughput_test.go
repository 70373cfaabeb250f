package agency_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// pump sends n leads from a to b from several goroutines and waits until
// every delivered receipt is back. It returns how long sending took and
// how long until the last receipt.
func pump(t testing.TB, w *testNetwork, n int, from, to string) (sent, delivered time.Duration) {
	a := w.nodes[from].node
	before, err := a.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	body := protocol.Example(protocol.TypeLead)
	start := time.Now()
	var wg sync.WaitGroup
	const senders = 32
	for g := range senders {
		wg.Go(func() {
			for i := g; i < n; i += senders {
				if _, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{to}, Type: protocol.TypeLead, Body: body}); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	sent = time.Since(start)
	want := before.Outbox.Copies[agency.CopyDelivered] + int64(n)
	poll.Until(t, 5*time.Minute, "every delivered receipt", func() bool {
		s, _ := a.Status(context.Background())
		return s.Outbox.Copies[agency.CopyDelivered] >= want
	})
	return sent, time.Since(start)
}

// TestThroughput sends a few hundred messages and reports the rate: under
// the race detector it only shows that the pipeline keeps up; run
// BenchmarkDelivery for figures.
func TestThroughput(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag")
	const n = 200
	sent, delivered := pump(t, w, n, "sn-pj-dakar", "gh-ag")
	t.Logf("%d messages: sent (sealed, recorded) in %s, %.0f/s; every delivered receipt back after %s, %.0f/s end to end",
		n, sent.Round(time.Millisecond), n/sent.Seconds(), delivered.Round(time.Millisecond), n/delivered.Seconds())
	if got := len(inboxIDs(t, w.node("gh-ag"))); got != n {
		t.Errorf("inbox holds %d messages, want %d", got, n)
	}
}

// BenchmarkDelivery measures sending to one recipient end to end: seal,
// record, publish, receive, verify, decrypt, record, acknowledge, receipt
// back, receipt recorded.
func BenchmarkDelivery(b *testing.B) {
	w := newNetwork(b, netOptions{}, "sn-pj-dakar", "gh-ag")
	b.ResetTimer()
	sent, delivered := pump(b, w, b.N, "sn-pj-dakar", "gh-ag")
	b.ReportMetric(float64(b.N)/sent.Seconds(), "sent/s")
	b.ReportMetric(float64(b.N)/delivered.Seconds(), "delivered/s")
}

// BenchmarkSend measures sending alone, the hub down: seal, record in the
// audit log and the outbox, from 32 concurrent senders.
func BenchmarkSend(b *testing.B) {
	w := newNetwork(b, netOptions{}, "sn-pj-dakar", "gh-ag")
	w.stopHub()
	a := w.nodes["sn-pj-dakar"].node
	body := protocol.Example(protocol.TypeLead)
	b.ResetTimer()
	var wg sync.WaitGroup
	const senders = 32
	for g := range senders {
		wg.Go(func() {
			for i := g; i < b.N; i += senders {
				if _, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: body}); err != nil {
					b.Errorf("send: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sent/s")
}
