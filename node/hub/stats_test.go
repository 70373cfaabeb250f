package hub

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// history builds sealed messages and signed receipts of three agencies in
// three countries, as the stream would hold them.
type history struct {
	t      *testing.T
	ids    map[string]*identity.Identity
	roster *protocol.Roster
	seq    uint64
	events []StatsEvent
}

func newHistory(t *testing.T) *history {
	h := &history{t: t, ids: map[string]*identity.Identity{}, roster: &protocol.Roster{Network: testNetwork}}
	for _, a := range [][2]string{{"gh-ag", "GH"}, {"ng-moj", "NG"}, {"sn-pj", "SN"}} {
		id, err := identity.Generate(testNetwork, a[0], a[0], a[1], protocol.KindClassic, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		h.ids[a[0]] = id
		h.roster.Members = append(h.roster.Members, protocol.RosterMember{Card: *id.Card, Status: protocol.StatusActive})
	}
	return h
}

// sealed appends a sealed message of from to to in case at stored.
func (h *history) sealed(from, to string, t protocol.MessageType, caseID string, stored time.Time) string {
	s, err := seal.Seal(h.ids[from], []*protocol.MemberCard{h.ids[to].Card}, t, protocol.Example(t), seal.Options{Case: caseID, Now: stored})
	if err != nil {
		h.t.Fatal(err)
	}
	h.add(from, from, to, t, s.Raw, stored)
	return s.Header.ID
}

// receipt appends a receipt of kind about message id, issued by from to
// to and signed by signer's key.
func (h *history) receipt(from, to, signer, id string, kind protocol.ReceiptKind, stored time.Time) {
	h.add(from, from, to, protocol.TypeReceipt, h.signedReceipt(from, to, signer, id, kind, stored), stored)
}

// signedReceipt returns a receipt's compact JWS.
func (h *history) signedReceipt(from, to, signer, id string, kind protocol.ReceiptKind, stored time.Time) []byte {
	r := &protocol.Receipt{Version: protocol.ReceiptVersion, ID: protocol.NewMessageID(stored), Network: testNetwork, From: from, To: to,
		MessageID: id, MessageHash: strings.Repeat("ab", 32), Kind: kind, Time: protocol.NewTime(stored)}
	payload, err := r.Marshal()
	if err != nil {
		h.t.Fatal(err)
	}
	signed, err := jws.Sign(h.ids[signer].Signing, protocol.ReceiptJWSType, nil, payload)
	if err != nil {
		h.t.Fatal(err)
	}
	return signed
}

func (h *history) add(publisher, from, to string, t protocol.MessageType, data []byte, stored time.Time) {
	h.seq++
	h.events = append(h.events, StatsEvent{Seq: h.seq, Subject: protocol.MessageSubject(testNetwork, from, to, t), Publisher: publisher, Stored: stored, Data: data})
}

// TestStatsKnownHistory counts a known synthetic history: messages per
// day, country pair and type; request → first reply and delivery → read
// times per country; unanswered requests by age; and what is not counted
// (a second reply, a forged publisher, a receipt signed by another
// agency, one published by another than its issuer, one whose signature
// does not match, a message seen twice). The aggregates survive their encoding.
func TestStatsKnownHistory(t *testing.T) {
	h := newHistory(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	req := h.sealed("sn-pj", "gh-ag", protocol.TypeRequest, "c-1", t0)
	h.receipt("gh-ag", "sn-pj", "gh-ag", req, protocol.ReceiptDelivered, t0.Add(time.Minute))
	h.receipt("gh-ag", "sn-pj", "gh-ag", req, protocol.ReceiptRead, t0.Add(time.Hour+time.Minute))
	h.sealed("gh-ag", "sn-pj", protocol.TypeReply, "c-1", t0.Add(2*time.Hour))
	h.sealed("gh-ag", "sn-pj", protocol.TypeReply, "c-1", t0.Add(3*time.Hour)) // a second reply: no new reply time
	d1 := t0.Add(24 * time.Hour)
	req2 := h.sealed("sn-pj", "ng-moj", protocol.TypeRequest, "c-2", d1) // never answered
	h.sealed("ng-moj", "gh-ag", protocol.TypeLead, "", d1)
	h.receipt("ng-moj", "sn-pj", "ng-moj", req2, protocol.ReceiptDelivered, d1.Add(time.Minute))
	h.receipt("ng-moj", "sn-pj", "gh-ag", req2, protocol.ReceiptRead, d1.Add(2*time.Minute)) // signed by another: not a read
	// Niamey's genuine receipts published by Dakar: not Niamey's read.
	h.add("sn-pj", "sn-pj", "ng-moj", protocol.TypeReceipt, h.signedReceipt("ng-moj", "sn-pj", "ng-moj", req2, protocol.ReceiptDelivered, d1), d1.Add(3*time.Minute))
	h.add("sn-pj", "sn-pj", "ng-moj", protocol.TypeReceipt, h.signedReceipt("ng-moj", "sn-pj", "ng-moj", req2, protocol.ReceiptRead, d1), d1.Add(3*time.Minute))
	// A read receipt whose payload does not match its signature.
	genuine := h.signedReceipt("ng-moj", "sn-pj", "ng-moj", req2, protocol.ReceiptDelivered, d1)
	other := h.signedReceipt("ng-moj", "sn-pj", "ng-moj", req2, protocol.ReceiptRead, d1)
	gp, op := bytes.SplitN(genuine, []byte("."), 3), bytes.SplitN(other, []byte("."), 3)
	h.add("ng-moj", "ng-moj", "sn-pj", protocol.TypeReceipt, bytes.Join([][]byte{gp[0], op[1], gp[2]}, []byte(".")), d1.Add(4*time.Minute))
	forged := h.events[0]
	forged.Seq, forged.Publisher = 100, "ng-moj"     // the subject's sender is not the publisher
	h.events = append(h.events, forged, h.events[2]) // and a message seen again

	a := newAggregates()
	for _, e := range h.events {
		a.add(testNetwork, e, rosterCountry(h.roster), rosterKeys(h.roster))
	}
	now := t0.Add(10 * 24 * time.Hour)
	f := figures(a, t0, d1, now, time.Time{})
	if f.Messages != 12 || a.Seq != 100 {
		t.Errorf("messages %d, seq %d; want 12 counted up to 100", f.Messages, a.Seq)
	}
	wantDays := []DayTotal{{Day: t0.Truncate(24 * time.Hour), Messages: 5}, {Day: d1.Truncate(24 * time.Hour), Messages: 7}}
	if !reflect.DeepEqual(f.Days, wantDays) {
		t.Errorf("days %+v, want %+v", f.Days, wantDays)
	}
	wantPairs := []PairCount{{"GH", "SN", 4}, {"NG", "SN", 3}, {"SN", "NG", 3}, {"NG", "GH", 1}, {"SN", "GH", 1}}
	if !reflect.DeepEqual(f.Pairs, wantPairs) {
		t.Errorf("pairs %+v, want %+v", f.Pairs, wantPairs)
	}
	wantTypes := []TypeCount{{protocol.TypeLead, 1}, {protocol.TypeRequest, 2}, {protocol.TypeReply, 2}, {protocol.TypeReceipt, 7}}
	if !reflect.DeepEqual(f.Types, wantTypes) {
		t.Errorf("types %+v, want %+v", f.Types, wantTypes)
	}
	if !slices.Equal(f.Countries, []string{"GH", "NG", "SN"}) || f.Matrix[0][2] != 4 || f.Matrix[2][1] != 3 || f.Matrix[1][1] != 0 {
		t.Errorf("matrix %v %v", f.Countries, f.Matrix)
	}
	wantTimes := []CountryTimes{{Country: "GH", Replies: 1, Reads: 1, ReplyMedian: 2 * time.Hour, ReplyP90: 2 * time.Hour, ReadMedian: time.Hour, ReadP90: time.Hour}}
	if !reflect.DeepEqual(f.Times, wantTimes) {
		t.Errorf("times %+v, want %+v", f.Times, wantTimes)
	}
	wantOpen := []AgeCount{{"lt7d", 0}, {"7to30d", 1}, {"30to90d", 0}, {"ge90d", 0}}
	if !reflect.DeepEqual(f.Unanswered, wantOpen) {
		t.Errorf("unanswered %+v, want %+v", f.Unanswered, wantOpen)
	}
	if only := figures(a, d1, d1, now, time.Time{}); only.Messages != 7 {
		t.Errorf("the second day alone has %d messages, want 7", only.Messages)
	}

	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseAggregates(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(figures(back, t0, d1, now, time.Time{}), f) {
		t.Error("the aggregates changed through their encoding")
	}
}

// TestQuantile: nearest rank.
func TestQuantile(t *testing.T) {
	s := []int64{50, 10, 40, 20, 30, 60, 70, 80, 90, 100}
	if q := quantile(s, 50); q != 50*time.Second {
		t.Errorf("median %s", q)
	}
	if q := quantile(s, 90); q != 90*time.Second {
		t.Errorf("p90 %s", q)
	}
	if q := quantile(nil, 50); q != 0 {
		t.Errorf("empty %s", q)
	}
}

// TestParseAggregatesRefuses: strict decoding with field-named errors.
func TestParseAggregatesRefuses(t *testing.T) {
	for _, in := range []string{
		`{"v":2,"seq":0,"days":{},"open":{},"delivered":{},"reply_times":{},"read_times":{}}`,
		`{"v":1,"seq":0,"days":{"yesterday":{"pairs":{},"types":{},"bytes":0}}}`,
		`{"v":1,"seq":0,"days":{"2026-12-01":{"pairs":{"SN-GH":1},"types":{},"bytes":0}}}`,
		`{"v":1,"seq":0,"days":{"2026-12-01":{"pairs":{},"types":{"gossip":1},"bytes":0}}}`,
		`{"v":1,"seq":0,"days":{},"extra":1}`,
		`{"v":1,"seq":0,"reply_times":{"sn":[1]}}`,
	} {
		if _, err := ParseAggregates([]byte(in)); err == nil {
			t.Errorf("accepted %s", in)
		}
	}
}

// FuzzParseAggregates: whatever is accepted encodes and decodes back to
// the same aggregates.
func FuzzParseAggregates(f *testing.F) {
	f.Add([]byte(`{"v":1,"seq":3,"days":{"2026-12-01":{"pairs":{"SN>GH":2},"types":{"case.request":2},"bytes":10}},"open":{},"delivered":{},"reply_times":{"GH":[7200]},"read_times":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAggregates(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseAggregates(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed %s", out)
		}
	})
}

// TestStatsIncremental: a running hub counts what its members publish,
// keeps the figures with the sequence counted in stats.json, and after a
// restart goes on from there without counting anything twice.
func TestStatsIncremental(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	gh := n.connect(t, "gh-ag")
	today := time.Now().UTC()
	count := func() int64 { return n.hub.Stats(today, today, time.Now()).Messages }
	// publish publishes k messages, each counted before the next, and logs
	// how long the figures took to count each after the hub acknowledged
	// it.
	publish := func(k int) {
		for range k {
			id := protocol.NewMessageID(time.Now())
			msg := &nats.Msg{Subject: protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", protocol.TypeLead), Data: []byte("sealed")}
			was := count()
			if _, err := gh.js.PublishMsg(ctx, msg, jetstream.WithMsgID(protocol.PublishID(id, "sn-pj-dakar"))); err != nil {
				t.Fatal(err)
			}
			acked := time.Now()
			poll.Until(t, 30*time.Second, "the message counted", func() bool { return count() == was+1 })
			t.Logf("counted %s after the hub acknowledged it", time.Since(acked).Round(10*time.Microsecond))
		}
	}
	publish(3)
	f := n.hub.Stats(today, today, time.Now())
	if len(f.Pairs) != 1 || f.Pairs[0] != (PairCount{"GH", "GH", 3}) || f.Types[0] != (TypeCount{protocol.TypeLead, 3}) {
		t.Errorf("pairs %+v types %+v", f.Pairs, f.Types)
	}
	n.hub.Close()
	data, err := os.ReadFile(filepath.Join(n.dir, StatsFile))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := ParseAggregates(data); err != nil || a.Seq != 3 {
		t.Fatalf("stats.json: seq %v, %v", a, err)
	}
	if fi, err := os.Stat(filepath.Join(n.dir, StatsFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("stats.json mode %v, %v", fi, err)
	}
	n.start(t)
	gh = n.connect(t, "gh-ag")
	publish(2)
	if c := count(); c != 5 {
		t.Errorf("%d messages counted after the restart, want 5", c)
	}
	if s := n.hub.Stats(today, today, time.Now()).Seq; s != 5 {
		t.Errorf("counted up to sequence %d, want 5", s)
	}
}
