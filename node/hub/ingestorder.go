package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The order of a sender's messages to one recipient.
//
// A node publishes its messages in sending order and keeps many in flight.
// Had the ingest handed them all to the stream regardless, one the stream
// did not take (its leader lost mid-publication on a cluster, a refusal)
// would be stored only when the node publishes it again: after later ones,
// which the recipient then receives first. So the ingest keeps the
// publications of one sender to one recipient (a pair) in a queue of
// their own, in the order they came, and when one of them is not stored
// it refuses the later ones of that pair from the same connection (a
// fence) until the node publishes the one that failed again: the node then
// publishes again, in order, everything it had in flight (package agency,
// publisher), with the same Nats-Msg-Id, so that the stream drops what it
// had in fact stored. On a clustered hub, a pair's publications go to the
// stream one at a time, each once the stream answered the one before: a
// later one could otherwise reach a new stream leader after an earlier one
// was lost with the old leader. On a hub that runs alone, they go side by
// side (window): its one stream takes them in order from one connection,
// so one it did not answer leaves the later ones unanswered too. A later
// message is therefore stored only after every earlier one of its pair,
// and the stream's order, which the recipient's inbox consumer delivers,
// is the sending order. The pairs are independent of each other.
//
// A message the stream has not answered within ingestTimeout fails, and
// can still be stored after that (a leader that stored it and fell before
// it answered): the next one of its pair is stored only after the node's
// own publication of it again, which the stream either stores or drops as
// a duplicate, so that late store comes before it too. On a cluster, the
// stream's leader orders what it stores through its log: a publication
// that a fallen leader never committed is not committed later by another
// one after the ones that leader stored.

// fenceTTL is how long a fence holds without the publication that failed
// coming again: the node publishes it again within a second or two, unless
// it learned meanwhile that it was stored after all (its receipt came),
// and then it never comes.
const fenceTTL = time.Minute

// pairKey is a sender and a recipient.
type pairKey struct{ from, to string }

// pairQueue is the publications of a pair waiting for the one the stream
// is storing.
type pairQueue struct {
	waiting []*ingested
}

// fenceKey is a pair and one connection of its sender's.
type fenceKey struct {
	pair pairKey
	conn string
}

// fence stops a pair's publications on one connection after some failed:
// a later message than the earliest of them is refused until each has
// come again (or the fence expires).
type fence struct {
	failed []string // the msgIDs that failed and have not come again
	at     time.Time
}

// maxFenced bounds the failed publications one fence remembers.
const maxFenced = 1024

// first is the earliest message the fence waits for.
func (f *fence) first() string { return slices.Min(f.failed) }

// errEarlierFirst refuses a publication whose pair has an earlier one
// the stream did not store.
func errEarlierFirst(msgID string) error {
	return refusal(protocol.HubEarlierFirstCode, "message %s of this sender to this recipient was not stored: it must be published again before later ones", msgID)
}

// errIngestClosed fails the publications of a closing ingest.
var errIngestClosed = errors.New("the hub is stopping")

// submit queues x behind the earlier publications of its pair, and starts
// storing the pair if nothing of it is in the stream's hands.
func (g *ingest) submit(x *ingested) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	if q, busy := g.pairs[x.pair]; busy {
		q.waiting = append(q.waiting, x)
		return
	}
	q := &pairQueue{}
	g.pairs[x.pair] = q
	g.runners.Add(1)
	go func() {
		defer g.runners.Done()
		g.run(x)
	}()
}

// fenced refuses x if a fence holds its pair on its connection: when x
// comes after the earliest message that failed and is not one of those
// that failed, or is one of those but not the earliest. Those that failed
// are taken again in the order of their ids, each once every earlier one
// came again (the fence lifts once all have come): in the order they
// failed it was not, when one refused with 409 first failed otherwise
// later (seen in TestOrderWhenTheHubRefusesSome). Concurrent sends, whose
// ids may not follow the order the node recorded them in, have no order
// between them; the node publishes what the hub refused again until the
// earliest comes.
//
// A message with an earlier id than every one that failed (sealed before
// them) goes through: one whose acknowledgement came late (the stream
// drops it as a duplicate), or one sent at the same time as a failed one,
// which its node recorded, and published, after it. Lifting the fence for
// that one let every later message through before the failed one came
// again (seen in TestProcessCluster: a message received after 23 sent
// after it).
func (g *ingest) fenced(x *ingested) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := fenceKey{x.pair, x.conn}
	f, ok := g.fences[k]
	switch {
	case !ok:
		return false
	case g.now().Sub(f.at) >= fenceTTL:
		delete(g.fences, k)
		return false
	}
	first := f.first()
	if i := slices.Index(f.failed, x.msgID); i >= 0 {
		if x.msgID != first {
			// An earlier one that failed has not come again: it waits
			// for that one too. Taken, it was stored before that one
			// when that one failed once more (over the sender's rate
			// again, while this one was within it; seen in
			// TestOrderWhenTheHubRefusesSome).
			x.err = errEarlierFirst(first)
			return true
		}
		f.failed = slices.Delete(f.failed, i, i+1)
		if len(f.failed) == 0 {
			delete(g.fences, k)
		} else {
			g.fences[k] = f
		}
		return false
	}
	if x.msgID < first {
		return false
	}
	x.err = errEarlierFirst(first)
	return true
}

// run stores x and then the publications of x's pair queued behind it,
// until none waits and none is in the stream's hands: on a clustered hub
// one at a time, each once the stream answered the one before; on a hub
// that runs alone, side by side (window).
func (g *ingest) run(x *ingested) {
	var pending []*ingested // in the stream's hands, in order
	for {
		for x != nil && len(pending) < g.window() {
			if x.err == nil && !g.fenced(x) {
				x.fut, x.err = g.js.PublishMsgAsync(x.out, jetstream.WithStallWait(ingestTimeout))
			}
			if x.err == nil {
				pending = append(pending, x)
			} else {
				g.finish(x)
			}
			x = g.pop(x.pair, len(pending) == 0)
		}
		if len(pending) == 0 {
			return
		}
		h := pending[0]
		pending[0] = nil
		pending = pending[1:]
		select {
		case h.ack = <-h.fut.Ok():
		case h.err = <-h.fut.Err():
		case <-g.stop:
			h.err = errIngestClosed
		}
		g.finish(h)
		if x == nil {
			x = g.pop(h.pair, len(pending) == 0)
		}
	}
}

// window is how many publications of one pair may be in the stream's
// hands at once. A hub that runs alone stores what it is given in order,
// on one connection to its own stream: a publication that fails there
// (the stream did not answer in time, the hub stops) leaves the later ones
// behind it unstored too, and the fence refuses those not yet handed over.
// On a cluster, a later publication can reach a new stream leader after an
// earlier one was lost with the old one: one at a time.
func (g *ingest) window() int {
	if g.server != "" {
		return 1
	}
	return ingestPending
}

// finish hands x, answered, to the answers, and fences its pair on its
// connection if it failed.
func (g *ingest) finish(x *ingested) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if fences(x.err) {
		k := fenceKey{x.pair, x.conn}
		f := g.fences[k]
		f.at = g.now()
		if !slices.Contains(f.failed, x.msgID) && len(f.failed) < maxFenced {
			f.failed = append(f.failed, x.msgID)
		}
		g.fences[k] = f
		g.sweepFences()
	}
	if g.closed {
		return
	}
	g.queue <- x
}

// pop returns the next publication waiting in pair's queue. When none
// waits it returns nil, and if idle (none in the stream's hands either)
// the pair's queue goes: the next publication starts a new runner.
func (g *ingest) pop(pair pairKey, idle bool) *ingested {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.pairs[pair]
	if g.closed || q == nil || len(q.waiting) == 0 {
		if idle || g.closed {
			delete(g.pairs, pair)
		}
		return nil
	}
	n := q.waiting[0]
	q.waiting[0] = nil
	q.waiting = q.waiting[1:]
	return n
}

// sweepFences drops the expired fences, at most once per fenceTTL.
func (g *ingest) sweepFences() {
	now := g.now()
	if now.Sub(g.swept) < fenceTTL {
		return
	}
	g.swept = now
	for k, f := range g.fences {
		if now.Sub(f.at) >= fenceTTL {
			delete(g.fences, k)
		}
	}
}

// fences reports whether a publication that failed with err fences its
// pair: any failure but a refusal behind a fence, or a refusal that will
// never change (a recipient that is not an active member, a Nats-Msg-Id
// that is not a node's), after which the order is moot.
func fences(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code != protocol.HubEarlierFirstCode && apiErr.Code != protocol.HubRefusedCode
	}
	return err != nil
}

// requesterConn names the connection a publication came from, as the
// server stamped it in the Nats-Request-Info header: its server and the
// client's id there. It is empty when the header says neither.
func requesterConn(h nats.Header) string {
	v := h.Values(server.ClientInfoHdr)
	if len(v) != 1 || len(v[0]) > maxRequestInfo {
		return ""
	}
	var ci struct {
		Server string `json:"server"`
		ID     uint64 `json:"id"`
	}
	if json.Unmarshal([]byte(v[0]), &ci) != nil {
		return ""
	}
	return fmt.Sprintf("%s/%s", ci.Server, strconv.FormatUint(ci.ID, 10))
}
