package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// The network's statistics, for the secretariat's console, from routing
// metadata only: the stored subject (publisher, recipient, message type),
// the publisher the hub authenticated, sizes and the hub's storage times;
// for requests and replies the case id of the clear header, and for
// receipts their kind and the message they are about (receipts are signed,
// not sealed). The hub reads nothing else and cannot: bodies are sealed.
//
// They are computed incrementally: an ordered consumer of the messages
// stream feeds the aggregates, which are kept in StatsFile with the stream
// sequence they count up to, written atomically, so that a restarted hub
// goes on from there rather than counting again.

// StatsFile holds the aggregates in the hub directory.
const StatsFile = "stats.json"

// Bounds of the aggregates.
const (
	maxStatsFile = 64 << 20
	// statsDays is how many days of daily counts are kept.
	statsDays = 400
	// maxSamples bounds the durations kept per country and figure: the
	// most recent ones, from which the median and 90th percentile are
	// computed.
	maxSamples = 2048
	// maxOpen bounds the requests awaiting a first reply and the
	// deliveries awaiting their read receipt; past it the oldest go.
	maxOpen = 200000
	// statsFlush is how often changed aggregates are written.
	statsFlush = time.Second
)

// Aggregates are the network's figures, as StatsFile stores them.
type Aggregates struct {
	Version int `json:"v"`
	// Seq is the last stream sequence counted.
	Seq uint64 `json:"seq"`
	// Days are the daily counts by UTC date ("2026-12-06").
	Days map[string]*DayCounts `json:"days"`
	// Open are the requests without a reply yet, by case, requester and
	// requested agency ("CASE FROM TO"), with the time the hub stored them.
	Open map[string]time.Time `json:"open"`
	// Delivered are the delivered receipts without a read receipt yet, by
	// issuer and message ("FROM MESSAGEID").
	Delivered map[string]time.Time `json:"delivered"`
	// ReplyTimes are request→first reply durations in seconds, by the
	// country of the agency that replied; ReadTimes delivery→read
	// durations by the country of the reader.
	ReplyTimes map[string][]int64 `json:"reply_times"`
	ReadTimes  map[string][]int64 `json:"read_times"`
}

// DayCounts are one day's messages.
type DayCounts struct {
	// Pairs counts messages by sender and recipient country ("SN>GH").
	Pairs map[string]int64 `json:"pairs"`
	// Types counts messages by message type.
	Types map[string]int64 `json:"types"`
	// Bytes is the bytes stored.
	Bytes int64 `json:"bytes"`
}

func newAggregates() *Aggregates {
	return &Aggregates{Version: 1, Days: map[string]*DayCounts{}, Open: map[string]time.Time{}, Delivered: map[string]time.Time{},
		ReplyTimes: map[string][]int64{}, ReadTimes: map[string][]int64{}}
}

// ParseAggregates decodes StatsFile strictly, with a size limit, and
// checks its keys.
func ParseAggregates(data []byte) (*Aggregates, error) {
	a := newAggregates()
	if len(data) > maxStatsFile {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d", StatsFile, len(data), maxStatsFile)
	}
	// Not protocol.DecodeStrict: the maps' keys are dates, country pairs
	// and message types, checked below, not field names.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(a); err != nil {
		return nil, fmt.Errorf("decode %s: %w", StatsFile, err)
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, fmt.Errorf("decode %s: trailing data after the JSON value", StatsFile)
	}
	if a.Version != 1 {
		return nil, fmt.Errorf("%s: unknown version %d", StatsFile, a.Version)
	}
	// A null map decodes as nil: make every map writable.
	a.Days, a.Open, a.Delivered = orEmpty(a.Days), orEmpty(a.Open), orEmpty(a.Delivered)
	a.ReplyTimes, a.ReadTimes = orEmpty(a.ReplyTimes), orEmpty(a.ReadTimes)
	for d, c := range a.Days {
		if _, err := time.Parse(time.DateOnly, d); err != nil || c == nil || c.Bytes < 0 {
			return nil, fmt.Errorf("%s: days: bad day %q", StatsFile, d)
		}
		c.Pairs, c.Types = orEmpty(c.Pairs), orEmpty(c.Types)
		for k, n := range c.Pairs {
			if from, to, ok := strings.Cut(k, ">"); !ok || !statCountry(from) || !statCountry(to) || n < 0 {
				return nil, fmt.Errorf("%s: days.%s.pairs: bad pair %q", StatsFile, d, k)
			}
		}
		for k, n := range c.Types {
			if _, err := protocol.ParseMessageType(k); err != nil || n < 0 {
				return nil, fmt.Errorf("%s: days.%s.types: bad type %q", StatsFile, d, k)
			}
		}
	}
	for _, m := range []map[string][]int64{a.ReplyTimes, a.ReadTimes} {
		for c, s := range m {
			if !statCountry(c) || len(s) > maxSamples {
				return nil, fmt.Errorf("%s: bad durations of %q", StatsFile, c)
			}
		}
	}
	if len(a.Open) > maxOpen || len(a.Delivered) > maxOpen {
		return nil, fmt.Errorf("%s: too many open requests or deliveries", StatsFile)
	}
	return a, nil
}

func orEmpty[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

// statCountry says whether c is a country as the figures key it: two
// capital letters, or "??" for an agency no longer in the roster.
func statCountry(c string) bool {
	return c == "??" || len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}

// StatsEvent is one stored message as the figures see it: what the
// consumer takes from the stream.
type StatsEvent struct {
	Seq     uint64
	Subject string
	// Publisher is the hub's stamp (protocol.PublisherHeader).
	Publisher string
	Stored    time.Time
	Data      []byte
}

// add counts one stored message. country gives an agency's country from
// the roster in force; keys checks a receipt's signature.
func (a *Aggregates) add(network string, e StatsEvent, country func(string) string, keys func(agency, kid string) (ed25519.PublicKey, bool)) {
	if e.Seq <= a.Seq {
		return
	}
	a.Seq = e.Seq
	rest, ok := strings.CutPrefix(e.Subject, "casenet."+network+".msg.")
	if !ok {
		return
	}
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) != 3 || parts[0] != e.Publisher {
		return
	}
	from, to := parts[0], parts[1]
	t, err := protocol.ParseMessageType(parts[2])
	if err != nil {
		return
	}
	day := e.Stored.UTC().Format(time.DateOnly)
	d := a.Days[day]
	if d == nil {
		d = &DayCounts{Pairs: map[string]int64{}, Types: map[string]int64{}}
		a.Days[day] = d
		a.prune(e.Stored)
	}
	d.Pairs[country(from)+">"+country(to)]++
	d.Types[string(t)]++
	d.Bytes += int64(len(e.Data))
	switch t {
	case protocol.TypeRequest, protocol.TypeReply:
		env, _, err := seal.Parse(e.Data)
		if err != nil || env.Header.From != from || env.Header.Case == "" {
			return
		}
		if t == protocol.TypeRequest {
			k := env.Header.Case + " " + from + " " + to
			if _, ok := a.Open[k]; !ok && len(a.Open) < maxOpen {
				a.Open[k] = e.Stored
			}
			return
		}
		k := env.Header.Case + " " + to + " " + from
		if at, ok := a.Open[k]; ok {
			a.ReplyTimes[country(from)] = sample(a.ReplyTimes[country(from)], e.Stored.Sub(at))
			delete(a.Open, k)
		}
	case protocol.TypeReceipt:
		r := parseReceipt(e.Data, keys)
		if r == nil || r.From != from || r.To != to {
			return
		}
		k := from + " " + r.MessageID
		switch r.Kind {
		case protocol.ReceiptDelivered:
			if _, ok := a.Delivered[k]; !ok && len(a.Delivered) < maxOpen {
				a.Delivered[k] = e.Stored
			}
		case protocol.ReceiptRead:
			if at, ok := a.Delivered[k]; ok {
				a.ReadTimes[country(from)] = sample(a.ReadTimes[country(from)], e.Stored.Sub(at))
				delete(a.Delivered, k)
			}
		}
	}
}

// parseReceipt returns the receipt a stored message holds when its
// signature is its issuer's, else nil.
func parseReceipt(data []byte, keys func(agency, kid string) (ed25519.PublicKey, bool)) *protocol.Receipt {
	p, err := jws.Parse(data, protocol.ReceiptJWSType, protocol.MaxReceiptSize*2)
	if err != nil {
		return nil
	}
	r, err := protocol.ParseReceipt(p.Payload)
	if err != nil {
		return nil
	}
	pub, ok := keys(r.From, p.KeyID)
	if !ok || p.Verify(pub) != nil {
		return nil
	}
	return r
}

// sample appends d in seconds, keeping the most recent maxSamples.
func sample(s []int64, d time.Duration) []int64 {
	s = append(s, int64(max(d, 0)/time.Second))
	if len(s) > maxSamples {
		s = slices.Delete(s, 0, len(s)-maxSamples)
	}
	return s
}

// prune drops the days, open requests and deliveries older than statsDays
// before now.
func (a *Aggregates) prune(now time.Time) {
	oldest := now.AddDate(0, 0, -statsDays)
	cut := oldest.UTC().Format(time.DateOnly)
	for d := range a.Days {
		if d < cut {
			delete(a.Days, d)
		}
	}
	for _, m := range []map[string]time.Time{a.Open, a.Delivered} {
		for k, t := range m {
			if t.Before(oldest) {
				delete(m, k)
			}
		}
	}
}

// stats runs the consumer that feeds the aggregates and writes them.
type stats struct {
	path    string
	network string
	log     *slog.Logger
	roster  func() *SignedRoster
	cc      jetstream.ConsumeContext
	stop    chan struct{}
	done    chan struct{}

	mu      sync.Mutex
	agg     *Aggregates
	dirty   bool
	updated time.Time // when the last message was counted
}

// startStats loads StatsFile of dir and starts counting from the message
// after the last one it counted.
func startStats(dir string, js jetstream.JetStream, network string, roster func() *SignedRoster, log *slog.Logger) (*stats, error) {
	s := &stats{path: filepath.Join(dir, StatsFile), network: network, log: log, roster: roster, stop: make(chan struct{}), done: make(chan struct{})}
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.agg = newAggregates()
	case err != nil:
		return nil, err
	default:
		if s.agg, err = ParseAggregates(data); err != nil {
			// Derived data: count again from the start rather than stop
			// the hub.
			log.Warn("network statistics unreadable: counting them again from the stream", "file", s.path, "err", err)
			s.agg = newAggregates()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	stream, err := js.Stream(ctx, protocol.StreamName(network))
	if err != nil {
		return nil, err
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{protocol.StreamSubjects(network)}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if s.agg.Seq > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, s.agg.Seq+1
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("start the network statistics: %w", err)
	}
	if s.cc, err = cons.Consume(s.take); err != nil {
		return nil, fmt.Errorf("start the network statistics: %w", err)
	}
	go s.flusher()
	return s, nil
}

// take counts one message of the stream.
func (s *stats) take(m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		return
	}
	e := StatsEvent{Seq: md.Sequence.Stream, Subject: m.Subject(), Stored: md.Timestamp, Data: m.Data()}
	if h := m.Headers(); h != nil {
		e.Publisher = h.Get(protocol.PublisherHeader)
	}
	r := s.roster().Roster
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agg.add(s.network, e, rosterCountry(r), rosterKeys(r))
	s.dirty, s.updated = true, time.Now()
}

// rosterCountry returns an agency's country in r, "??" if it is not there.
func rosterCountry(r *protocol.Roster) func(string) string {
	return func(agency string) string {
		if m := r.Member(agency); m != nil && statCountry(m.Card.Country) {
			return m.Card.Country
		}
		return "??"
	}
}

// rosterKeys returns an agency's signing key of id kid in r, current or
// previous.
func rosterKeys(r *protocol.Roster) func(agency, kid string) (ed25519.PublicKey, bool) {
	return func(agency, kid string) (ed25519.PublicKey, bool) {
		m := r.Member(agency)
		if m == nil {
			return nil, false
		}
		if m.Card.KeyID() == kid {
			return publicKey(m.Card.SigningKey.Key)
		}
		for _, p := range m.Previous {
			if p.KeyID() == kid && !p.Revoked {
				return publicKey(p.SigningKey.Key)
			}
		}
		return nil, false
	}
}

// publicKey returns k as an Ed25519 public key.
func publicKey(k any) (ed25519.PublicKey, bool) {
	pub, ok := k.(ed25519.PublicKey)
	return pub, ok
}

// flusher writes the aggregates when they changed, every statsFlush.
func (s *stats) flusher() {
	defer close(s.done)
	t := time.NewTicker(statsFlush)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			s.flush()
			return
		case <-t.C:
			s.flush()
		}
	}
}

func (s *stats) flush() {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return
	}
	data, err := json.Marshal(s.agg)
	s.dirty = false
	s.mu.Unlock()
	if err == nil {
		err = durable.Replace(s.path, data, 0o600)
	}
	if err != nil {
		s.log.Error("cannot write the network statistics", "file", s.path, "err", err)
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
	}
}

// close stops counting and writes what was counted.
func (s *stats) close() {
	s.cc.Stop()
	close(s.stop)
	<-s.done
}

// snapshot returns a deep copy of the aggregates and when they last
// changed.
func (s *stats) snapshot() (*Aggregates, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, _ := json.Marshal(s.agg)
	var c Aggregates
	json.Unmarshal(data, &c)
	return &c, s.updated
}

// Stats returns the network's figures over the days from and to
// (inclusive, UTC dates), computed from the aggregates.
func (h *Hub) Stats(from, to time.Time, now time.Time) *Figures {
	a, updated := h.stats.snapshot()
	var members []string
	for _, m := range h.Roster().Roster.Active() {
		members = append(members, m.Card.Country)
	}
	return figures(a, from, to, now, updated, members...)
}

// Figures are the network's statistics over a period.
type Figures struct {
	From, To time.Time
	// Seq is the last stream sequence counted; Updated when.
	Seq     uint64
	Updated time.Time
	// Total messages and bytes in the period.
	Messages, Bytes int64
	// Days are the daily totals, oldest first.
	Days []DayTotal
	// Pairs are messages by sender and recipient country, most first.
	Pairs []PairCount
	// Types are messages by type, in protocol order.
	Types []TypeCount
	// Countries are the active members' countries and every country in
	// Pairs, sorted.
	Countries []string
	// Matrix[i][j] is the messages from Countries[i] to Countries[j].
	Matrix [][]int64
	// Times are the reply and read times per country (all time, the most
	// recent maxSamples of each).
	Times []CountryTimes
	// Unanswered are the requests without a reply yet, by age.
	Unanswered []AgeCount
}

// DayTotal is one day's messages.
type DayTotal struct {
	Day      time.Time
	Messages int64
}

// PairCount is the messages from one country to another.
type PairCount struct {
	From, To string
	Messages int64
}

// TypeCount is the messages of one type.
type TypeCount struct {
	Type     protocol.MessageType
	Messages int64
}

// CountryTimes are the median and 90th percentile of request→first reply
// and delivery→read durations, for the agencies of one country.
type CountryTimes struct {
	Country               string
	Replies, Reads        int
	ReplyMedian, ReplyP90 time.Duration
	ReadMedian, ReadP90   time.Duration
}

// AgeCount is the requests unanswered within an age band.
type AgeCount struct {
	// Band is "lt7d", "7to30d", "30to90d" or "ge90d".
	Band  string
	Count int64
}

// figures computes the figures of a over the days from and to; the flow
// matrix has the countries of members as well as those with traffic.
func figures(a *Aggregates, from, to, now, updated time.Time, members ...string) *Figures {
	f := &Figures{From: from, To: to, Seq: a.Seq, Updated: updated}
	lo, hi := from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly)
	pairs, types := map[string]int64{}, map[string]int64{}
	var days []string
	for d := range a.Days {
		if d >= lo && d <= hi {
			days = append(days, d)
		}
	}
	sort.Strings(days)
	for _, d := range days {
		c := a.Days[d]
		var n int64
		for k, v := range c.Pairs {
			pairs[k] += v
			n += v
		}
		for k, v := range c.Types {
			types[k] += v
		}
		t, _ := time.Parse(time.DateOnly, d)
		f.Days = append(f.Days, DayTotal{Day: t, Messages: n})
		f.Messages += n
		f.Bytes += c.Bytes
	}
	countries := map[string]bool{}
	for _, c := range members {
		if statCountry(c) {
			countries[c] = true
		}
	}
	for k, v := range pairs {
		fc, tc, _ := strings.Cut(k, ">")
		f.Pairs = append(f.Pairs, PairCount{From: fc, To: tc, Messages: v})
		countries[fc], countries[tc] = true, true
	}
	slices.SortFunc(f.Pairs, func(x, y PairCount) int {
		if x.Messages != y.Messages {
			return int(y.Messages - x.Messages)
		}
		return strings.Compare(x.From+x.To, y.From+y.To)
	})
	for _, t := range protocol.MessageTypes() {
		if n := types[string(t)]; n > 0 {
			f.Types = append(f.Types, TypeCount{Type: t, Messages: n})
		}
	}
	for c := range countries {
		f.Countries = append(f.Countries, c)
	}
	sort.Strings(f.Countries)
	f.Matrix = make([][]int64, len(f.Countries))
	for i, fc := range f.Countries {
		f.Matrix[i] = make([]int64, len(f.Countries))
		for j, tc := range f.Countries {
			f.Matrix[i][j] = pairs[fc+">"+tc]
		}
	}
	tc := map[string]bool{}
	for c := range a.ReplyTimes {
		tc[c] = true
	}
	for c := range a.ReadTimes {
		tc[c] = true
	}
	for _, c := range slices.Sorted(maps.Keys(tc)) {
		ct := CountryTimes{Country: c, Replies: len(a.ReplyTimes[c]), Reads: len(a.ReadTimes[c])}
		ct.ReplyMedian, ct.ReplyP90 = quantile(a.ReplyTimes[c], 50), quantile(a.ReplyTimes[c], 90)
		ct.ReadMedian, ct.ReadP90 = quantile(a.ReadTimes[c], 50), quantile(a.ReadTimes[c], 90)
		f.Times = append(f.Times, ct)
	}
	bands := []struct {
		name string
		max  time.Duration
	}{{"lt7d", 7 * day}, {"7to30d", 30 * day}, {"30to90d", 90 * day}, {"ge90d", 1<<63 - 1}}
	counts := make([]int64, len(bands))
	for _, t := range a.Open {
		age := now.Sub(t)
		for i, b := range bands {
			if age < b.max {
				counts[i]++
				break
			}
		}
	}
	for i, b := range bands {
		f.Unanswered = append(f.Unanswered, AgeCount{Band: b.name, Count: counts[i]})
	}
	return f
}

// quantile returns the q-th percentile of durations in seconds (nearest
// rank), 0 for none.
func quantile(s []int64, q int) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	i := (q*len(c)+99)/100 - 1
	return time.Duration(c[max(i, 0)]) * time.Second
}
