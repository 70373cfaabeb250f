package hub

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The watch of the attachment service (protocol.AttachWatch): a recipient
// learns of the objects declared to it while their sender uploads them,
// and fetches their chunks as they are stored, so that the download runs
// alongside the upload instead of after it. The message that names an
// object is still published only once the object is stored whole; what
// the recipient fetched early is checked against that message's signed
// manifest when it arrives. The watch follows the attachment bucket, so on
// a clustered hub every server hears of the declarations made on any.

// How long a watch request is held without news (well under the service
// imports' response threshold of two minutes), how long a declaration is
// told of, and how many requests one agency may have held at a time.
const (
	watchHold    = 20 * time.Second
	watchKeep    = 10 * time.Minute
	watchWaiters = 4
)

// errHeld is serve's answer to a request it answers later.
var errHeld = errors.New("held")

// attachWatch holds the recipients' watch requests and the recent
// declarations addressed to each agency.
type attachWatch struct {
	nc  *nats.Conn
	log *slog.Logger

	mu      sync.Mutex
	seq     int64
	recent  map[string][]watched  // agency → declarations to it, oldest first
	waiting map[string][]*watcher // agency → requests held
	told    map[string]bool       // objects told of (a digest filled in is no news)
	closed  bool
}

// watched is a declaration as it was heard of.
type watched struct {
	seq int64
	at  time.Time
	d   protocol.AttachDeclared
}

// watcher is a request held.
type watcher struct {
	reply string
	after int64
	timer *time.Timer
}

func newAttachWatch(nc *nats.Conn, log *slog.Logger) *attachWatch {
	return &attachWatch{nc: nc, log: log, recent: map[string][]watched{}, waiting: map[string][]*watcher{}, told: map[string]bool{}}
}

// follow hears of the declarations in the bucket until ctx ends.
func (w *attachWatch) follow(ctx context.Context, kv jetstream.KeyValue) error {
	kw, err := kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		return err
	}
	go func() {
		defer kw.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-kw.Updates():
				if !ok {
					return
				}
				if e == nil || e.Operation() != jetstream.KeyValuePut {
					continue
				}
				var r attachRecord
				if err := protocol.DecodeStrict("attachment record", e.Value(), maxAttachRecord, &r); err != nil {
					w.log.Warn("attachment watch: unreadable record", "object", e.Key(), "err", err)
					continue
				}
				// Confirmations rewrite the record: only declarations
				// are news.
				if len(r.Confirmed) == 0 && time.Since(r.Created) < watchKeep {
					w.declared(e.Key(), &r)
				}
			}
		}
	}()
	return nil
}

// declared tells the recipients of a new object.
func (w *attachWatch) declared(object string, r *attachRecord) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.told[object] {
		return
	}
	if len(w.told) >= maxCachedRecords {
		clear(w.told)
	}
	w.told[object] = true
	w.seq++
	now := time.Now()
	d := protocol.AttachDeclared{CipherSHA256: r.CipherSHA256, CipherSize: r.CipherSize, Message: r.Message, Object: object, Owner: r.Owner}
	for _, to := range r.To {
		list := append(w.recent[to], watched{seq: w.seq, at: now, d: d})
		for len(list) > 0 && (len(list) > protocol.MaxAttachWatched || now.Sub(list[0].at) > watchKeep) {
			list = list[1:]
		}
		w.recent[to] = list
		for _, h := range w.waiting[to] {
			h.timer.Stop()
			w.answer(h.reply, w.news(to, h.after))
		}
		delete(w.waiting, to)
	}
}

// news returns what agency was not told of after seq, and the seq to ask
// after next. Caller holds mu.
func (w *attachWatch) news(agency string, after int64) *protocol.AttachWatchReply {
	if after > w.seq {
		// The hub restarted since the asker's last answer.
		after = 0
	}
	rep := &protocol.AttachWatchReply{Objects: []protocol.AttachDeclared{}, Seq: w.seq}
	for _, h := range w.recent[agency] {
		if h.seq > after && time.Since(h.at) <= watchKeep {
			rep.Objects = append(rep.Objects, h.d)
		}
	}
	return rep
}

// answer publishes a watch answer. Caller holds mu.
func (w *attachWatch) answer(reply string, rep *protocol.AttachWatchReply) {
	b, err := protocol.Marshal(rep)
	if err != nil {
		w.log.Error("attachment watch: cannot encode an answer", "err", err)
		return
	}
	m := nats.NewMsg(reply)
	m.Data = b
	m.Header.Set(protocol.AttachStatusHeader, protocol.AttachOK)
	if err := w.nc.PublishMsg(m); err != nil {
		w.log.Warn("attachment watch: cannot answer", "err", err)
	}
}

// wait answers a watch request of agency into ans if there is news, or
// holds it and returns errHeld.
func (w *attachWatch) wait(agency string, m *nats.Msg, ans *nats.Msg) error {
	req, err := protocol.ParseAttachWatch(m.Data)
	if err != nil {
		return refuse(protocol.AttachInvalid, "%v", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	rep := w.news(agency, req.After)
	if len(rep.Objects) > 0 || w.closed {
		b, err := protocol.Marshal(rep)
		if err != nil {
			return err
		}
		ans.Data = b
		return nil
	}
	held := w.waiting[agency]
	if len(held) >= watchWaiters {
		// The oldest request is answered now, without news.
		held[0].timer.Stop()
		w.answer(held[0].reply, rep)
		held = held[1:]
	}
	h := &watcher{reply: m.Reply, after: req.After}
	h.timer = time.AfterFunc(watchHold, func() { w.expire(agency, h) })
	w.waiting[agency] = append(held, h)
	return errHeld
}

// expire answers a request held for watchHold without news.
func (w *attachWatch) expire(agency string, h *watcher) {
	w.mu.Lock()
	defer w.mu.Unlock()
	held := w.waiting[agency]
	for i, x := range held {
		if x == h {
			w.waiting[agency] = append(held[:i:i], held[i+1:]...)
			if len(w.waiting[agency]) == 0 {
				delete(w.waiting, agency)
			}
			w.answer(h.reply, w.news(agency, h.after))
			return
		}
	}
}

// close answers the requests held, without news, and stops.
func (w *attachWatch) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for agency, held := range w.waiting {
		for _, h := range held {
			h.timer.Stop()
			w.answer(h.reply, w.news(agency, h.after))
		}
	}
	clear(w.waiting)
}
