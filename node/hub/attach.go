package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The attachment service (docs/PROTOCOL.md, attachments): members declare
// an object, upload its chunks, ask which chunks the hub has, fetch them,
// and confirm them. The hub keeps each object's record in the attachment
// bucket and its chunks in the attachment stream, one subject per chunk,
// both kept for the network's retention. It never reads the ciphertext
// beyond each chunk's digest.

// attachWorkers is how many requests the service handles at a time: the
// chunks of one object are stored and read in parallel, so that their
// syncs are shared.
const attachWorkers = 8

// attachTimeout bounds one request's JetStream operations.
const attachTimeout = 30 * time.Second

// attachRecord is the hub's record of an object: the stored format of the
// attachment bucket's values.
type attachRecord struct {
	Owner        string    `json:"owner"`
	Message      string    `json:"message"`
	Index        int       `json:"index"`
	To           []string  `json:"to"`
	CipherSize   int64     `json:"cipher_size"`
	CipherSHA256 string    `json:"cipher_sha256"`
	Created      time.Time `json:"created"`
	Confirmed    []string  `json:"confirmed,omitempty"`
	// Layout is where the object's chunks are: 0 (objects declared
	// before the owner published chunks itself) under
	// casenet.NET.attdata.OBJECT.n, put through the service only;
	// layoutOwned under protocol.AttachChunkSubject, with the owner's
	// agency, where the owner publishes them itself (or puts them).
	Layout int `json:"layout,omitempty"`
}

// layoutOwned is the layout of objects whose chunk subjects carry their
// owner: every object declared since the owners publish their chunks.
const layoutOwned = 2

// chunkSubject is the subject of chunk n of object r.
func (s *attachService) chunkSubject(r *attachRecord, object string, n int64) string {
	if r.Layout == layoutOwned {
		return protocol.AttachChunkSubject(s.network, r.Owner, object, n)
	}
	return attachChunkSubject(s.network, object, n)
}

// chunkPrefix is the chunk subjects of object r without the chunk number.
func (s *attachService) chunkPrefix(r *attachRecord, object string) string {
	if r.Layout == layoutOwned {
		return protocol.AttachChunkPrefix(s.network, r.Owner, object)
	}
	return "casenet." + s.network + ".attdata." + object
}

// maxAttachRecord bounds a stored record.
const maxAttachRecord = 16 << 10

// allowed reports whether agency may fetch the object: its owner or one of
// its declared recipients.
func (r *attachRecord) allowed(agency string) bool {
	return agency == r.Owner || slices.Contains(r.To, agency)
}

// attachStreamName, attachBucket and the chunk subjects name where the
// service keeps objects. Members reach none of them.
func attachStreamName(network string) string { return "casenet-" + network + "-att" }
func attachBucket(network string) string     { return "casenet-" + network + "-attach" }
func attachChunkSubject(network, object string, n int64) string {
	return "casenet." + network + ".attdata." + object + "." + strconv.FormatInt(n, 10)
}

// attachStreamConfig is the chunk stream: file storage, kept for the
// network's retention, one message per chunk subject.
func attachStreamConfig(cfg *config.Hub) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              attachStreamName(cfg.Network),
		Description:       "casenode: encrypted attachment chunks of network " + cfg.Network,
		Subjects:          []string{"casenet." + cfg.Network + ".attdata.>"},
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardNew,
		MaxAge:            time.Duration(cfg.Retention),
		MaxMsgsPerSubject: 1,
		// Owners publish their chunks themselves (attachcheck.go): the
		// stream refuses a second message on a chunk's subject, whatever
		// headers it has.
		DiscardNewPerSubject: true,
		MaxMsgSize:           protocol.AttachChunkSize + config.HeaderAllowance,
		Storage:              jetstream.FileStorage,
		Replicas:             cfg.Replicas(),
		// The service reads chunks by direct get (attachread.go). Only the
		// hub's own account reaches the stream: members fetch chunks
		// through the service, which checks who asks.
		AllowDirect: true,
		// The chunk guard (attachguard.go) hears of every chunk stored:
		// its subject, its headers and its size, not its bytes.
		RePublish: &jetstream.RePublish{
			Source:      "casenet." + cfg.Network + ".attdata.>",
			Destination: attachSeenPrefix(cfg.Network) + ".>",
			HeadersOnly: true,
		},
	}
}

// attachBucketConfig is the records' bucket.
func attachBucketConfig(cfg *config.Hub) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:       attachBucket(cfg.Network),
		Description:  "casenode: attachment records of network " + cfg.Network,
		History:      1,
		TTL:          time.Duration(cfg.Retention),
		MaxValueSize: maxAttachRecord,
		Storage:      jetstream.FileStorage,
		Replicas:     cfg.Replicas(),
	}
}

// attachService answers the members' attachment requests.
type attachService struct {
	network string
	maxSize int64 // hub.json max_attachment_size
	quota   int64 // member_limits.attachment_bytes
	log     *slog.Logger
	counts  *memberCounts // the hub's refusals (refusals.go)
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  jetstream.Stream
	kv      jetstream.KeyValue
	syncer  *blockSyncer // nil: the server syncs at an interval
	// forward has the chunk stream deliver the chunks asked for to the
	// members (get): on a hub of one server, whose direct gets see every
	// chunk stored.
	forward bool
	sub     *nats.Subscription
	reqs    chan *nats.Msg
	stop    chan struct{}
	wg      sync.WaitGroup

	syncMu sync.Mutex // serializes syncer and guards synced
	// written counts the chunks the stream acknowledged to the service
	// and the owners' stats (each wants what was acknowledged before it on
	// disk); synced is written as it was when the last sync started: a
	// chunk or stat whose count is at most synced is on disk.
	written atomic.Uint64
	synced  uint64
	// unsynced counts the bytes of the chunks the guard saw stored since
	// the last background sync started; syncing is set while one runs
	// (chunkStored).
	unsynced atomic.Int64
	syncing  atomic.Bool

	mu     sync.Mutex       // guards used, locks, recs and closed
	used   map[string]int64 // owner → declared bytes held
	locks  map[string]*objectLock
	recs   map[string]cachedRecord // see cached
	closed bool

	watch     *attachWatch
	stopWatch context.CancelFunc
	guard     *chunkGuard // nil until started
}

// cachedRecord is a record as read at a time: what a put, a get or a stat
// needs of it (owner, recipients, size) never changes once declared.
type cachedRecord struct {
	r  *attachRecord
	at time.Time
}

// Records are cached for recordTTL, at most maxCachedRecords of them: an
// object deleted meanwhile answers "no such chunk" for that long.
const (
	recordTTL        = 10 * time.Second
	maxCachedRecords = 4096
)

// startAttach creates the stream and the bucket, counts what each member
// holds, and subscribes to the service's subjects on nc.
func startAttach(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, cfg *config.Hub, counts *memberCounts, log *slog.Logger) (*attachService, error) {
	s := &attachService{network: cfg.Network, maxSize: cfg.MaxAttachmentSize, quota: cfg.MemberLimits.AttachmentBytes, log: log, counts: counts,
		nc: nc, js: js, forward: !cfg.Cluster.Enabled(), used: map[string]int64{}, locks: map[string]*objectLock{}, recs: map[string]cachedRecord{}, reqs: make(chan *nats.Msg, 4*attachWorkers), stop: make(chan struct{})}
	err := retryClustered(ctx, cfg, func(ctx context.Context) error {
		var err error
		if s.stream, err = js.CreateOrUpdateStream(ctx, attachStreamConfig(cfg)); err != nil {
			return fmt.Errorf("create stream %s: %w", attachStreamName(cfg.Network), err)
		}
		// The bucket's records are read through the API (see
		// bucketStream).
		s.kv, err = ensureBucket(ctx, js, attachBucketConfig(cfg))
		return err
	})
	if err != nil {
		return nil, err
	}
	// A clustered server syncs through JetStream (clusterConfig).
	if cfg.Sync == config.SyncAlways && !cfg.Cluster.Enabled() {
		if s.syncer, err = newBlockSyncer(cfg.StoreDir, attachStreamName(cfg.Network)); err != nil {
			return nil, err
		}
	}
	if err := s.count(ctx); err != nil {
		return nil, err
	}
	s.watch = newAttachWatch(nc, log)
	wctx, stopWatch := context.WithCancel(context.Background())
	s.stopWatch = stopWatch
	if err := s.watch.follow(wctx, s.kv); err != nil {
		stopWatch()
		return nil, fmt.Errorf("watch bucket %s: %w", attachBucket(cfg.Network), err)
	}
	// The guard checks every chunk stored from now on; the first sweep
	// (sweepChunks) those stored before, while the hub was down.
	if err := s.startGuard(); err != nil {
		s.close()
		return nil, err
	}
	go s.sweepChunks(wctx)
	for range attachWorkers {
		s.wg.Go(func() {
			for {
				select {
				case <-s.stop:
					return
				case m := <-s.reqs:
					s.handle(m)
				}
			}
		})
	}
	// One server of a clustered hub answers each request.
	s.sub, err = nc.QueueSubscribe(protocol.AttachService(cfg.Network), serviceQueue, func(m *nats.Msg) {
		select {
		case s.reqs <- m:
		case <-s.stop:
		}
	})
	if err != nil {
		s.close()
		return nil, fmt.Errorf("subscribe to %s: %w", protocol.AttachService(cfg.Network), err)
	}
	if err := s.sub.SetPendingLimits(1024, 512<<20); err != nil {
		s.close()
		return nil, err
	}
	return s, nc.Flush()
}

// recount counts again what each member holds.
func (s *attachService) recount(ctx context.Context) error {
	s.mu.Lock()
	s.used = map[string]int64{}
	s.mu.Unlock()
	return s.count(ctx)
}

// count adds the declared bytes of every record to its owner's.
func (s *attachService) count(ctx context.Context) error {
	lister, err := s.kv.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("list attachment records: %w", err)
	}
	for k := range lister.Keys() {
		r, err := s.record(ctx, k)
		if err != nil || r == nil {
			continue
		}
		s.mu.Lock()
		s.used[r.Owner] += r.CipherSize
		s.mu.Unlock()
	}
	return nil
}

// close stops taking requests and waits for those being answered.
func (s *attachService) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	if s.sub != nil {
		s.sub.Unsubscribe()
	}
	close(s.stop)
	s.wg.Wait()
	if s.stopWatch != nil {
		s.guard.stop()
		s.stopWatch()
		s.watch.close()
	}
	if s.syncer != nil {
		s.syncer.close()
	}
}

// attachError is a refusal: its code goes into AttachStatusHeader.
type attachError struct {
	code, msg string
}

func (e *attachError) Error() string { return e.msg }

func refuse(code, format string, args ...any) *attachError {
	return &attachError{code: code, msg: "casenode hub: " + fmt.Sprintf(format, args...)}
}

// handle answers one request.
func (s *attachService) handle(m *nats.Msg) {
	if m.Reply == "" || !strings.HasPrefix(m.Reply, responsePrefix) {
		// Only requests from the members' account, through the service
		// import, are answered (see ingest.take).
		return
	}
	ans := nats.NewMsg(m.Reply)
	req, err := protocol.ParseAttachSubject(s.network, m.Subject)
	if err != nil {
		err = refuse(protocol.AttachInvalid, "%v", err)
	} else if who, aerr := requesterAgency(m.Header); aerr != nil || who != req.Agency {
		// The server's permissions give an agency only its own subjects;
		// the account the server says the request came from must agree.
		err = refuse(protocol.AttachForbidden, "the request is not from agency %s's account", req.Agency)
	} else {
		err = s.serve(req, m, ans)
	}
	if err == errHeld {
		return
	}
	if err != nil {
		var ae *attachError
		if !errors.As(err, &ae) {
			s.log.Error("attachment request failed", "subject", m.Subject, "err", err)
			ae = refuse(protocol.AttachFailed, "cannot serve the request now, try again")
		}
		ans.Data = nil
		ans.Header = nats.Header{}
		ans.Header.Set(protocol.AttachStatusHeader, ae.code)
		ans.Header.Set(protocol.AttachErrorHeader, ae.msg)
	} else {
		ans.Header.Set(protocol.AttachStatusHeader, protocol.AttachOK)
	}
	if err := s.nc.PublishMsg(ans); err != nil {
		s.log.Warn("cannot answer an attachment request", "err", err)
	}
}

// serve does what req asks, writing the answer into ans.
func (s *attachService) serve(req *protocol.AttachRequest, m *nats.Msg, ans *nats.Msg) error {
	ctx, cancel := context.WithTimeout(context.Background(), attachTimeout)
	defer cancel()
	if req.Verb == protocol.AttachWatch {
		return s.watch.wait(req.Agency, m, ans)
	}
	if req.Verb == protocol.AttachNew || req.Verb == protocol.AttachPut {
		if err := s.uploadsStopped(req.Agency); err != nil {
			return err
		}
	}
	// Declarations and confirmations change the record: one at a time.
	// Chunks are stored and read in parallel.
	exclusive := req.Verb == protocol.AttachNew || req.Verb == protocol.AttachDone || req.Verb == protocol.AttachDelete
	unlock := s.lock(req.Object, exclusive)
	defer unlock()
	if req.Verb == protocol.AttachNew {
		return s.declare(ctx, req, m.Data, ans)
	}
	var r *attachRecord
	var err error
	if req.Verb == protocol.AttachPut || req.Verb == protocol.AttachGet {
		r, err = s.cached(ctx, req.Object)
	} else {
		r, err = s.record(ctx, req.Object)
	}
	if err != nil {
		return err
	}
	if r == nil || !r.allowed(req.Agency) {
		if req.Verb == protocol.AttachDelete && r != nil {
			s.refused(req.Agency, "attachment delete refused: neither the object's sender nor a recipient", "object", req.Object)
		}
		return gone(req)
	}
	switch req.Verb {
	case protocol.AttachPut:
		if req.Agency != r.Owner {
			return refuse(protocol.AttachForbidden, "only the sender of object %s uploads it", req.Object)
		}
		return s.put(ctx, r, req, m)
	case protocol.AttachGet:
		return s.get(ctx, r, req, m, ans)
	case protocol.AttachStat:
		return s.stat(ctx, r, req, ans)
	case protocol.AttachDone:
		return s.done(ctx, r, req)
	case protocol.AttachDelete:
		return s.abandon(ctx, r, req)
	}
	return refuse(protocol.AttachInvalid, "unknown verb %s", req.Verb)
}

// gone is the refusal of a request about an object that is not at the
// hub, or not for the asker: whether an object exists, or existed, is not
// told to those who may not fetch it.
func gone(req *protocol.AttachRequest) error {
	return refuse(protocol.AttachForbidden, "object %s is not at the hub for agency %s: it was deleted (once every recipient had it, or at the network's retention), or %s is neither its sender nor one of its recipients", req.Object, req.Agency, req.Agency)
}

// lock takes the lock of one object, exclusive or shared.
func (s *attachService) lock(object string, exclusive bool) func() {
	s.mu.Lock()
	l := s.locks[object]
	if l == nil {
		l = &objectLock{}
		s.locks[object] = l
	}
	l.users++
	s.mu.Unlock()
	if exclusive {
		l.Lock()
	} else {
		l.RLock()
	}
	return func() {
		if exclusive {
			l.Unlock()
		} else {
			l.RUnlock()
		}
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, object)
		}
		s.mu.Unlock()
	}
}

// objectLock is the lock of one object and how many requests hold or wait
// for it.
type objectLock struct {
	sync.RWMutex
	users int
}

// cached returns an object's record from the cache, or reads it.
func (s *attachService) cached(ctx context.Context, object string) (*attachRecord, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.recs[object]
	s.mu.Unlock()
	if ok && now.Sub(c.at) < recordTTL {
		return c.r, nil
	}
	r, err := s.record(ctx, object)
	if err != nil || r == nil {
		return r, err
	}
	s.mu.Lock()
	if len(s.recs) >= maxCachedRecords {
		clear(s.recs)
	}
	s.recs[object] = cachedRecord{r: r, at: now}
	s.mu.Unlock()
	return r, nil
}

// record reads an object's record, nil when there is none.
func (s *attachService) record(ctx context.Context, object string) (*attachRecord, error) {
	e, err := s.kv.Get(ctx, object)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read attachment record: %w", err)
	}
	var r attachRecord
	if err := protocol.DecodeStrict("attachment record", e.Value(), maxAttachRecord, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// declare records a new object, within the network's size limit and the
// owner's quota.
func (s *attachService) declare(ctx context.Context, req *protocol.AttachRequest, data []byte, ans *nats.Msg) error {
	n, err := protocol.ParseAttachNew(req.Agency, req.Object, data)
	if err != nil {
		return refuse(protocol.AttachInvalid, "%v", err)
	}
	r := &attachRecord{Owner: req.Agency, Message: n.Message, Index: n.Index, To: n.To, CipherSize: n.CipherSize, CipherSHA256: n.CipherSHA256, Layout: layoutOwned}
	old, err := s.record(ctx, req.Object)
	if err != nil {
		return err
	}
	if old != nil {
		s.tellChunks(old, req, ans)
		if old.Owner != r.Owner || old.Message != r.Message || old.CipherSize != r.CipherSize || !slices.Equal(old.To, r.To) ||
			old.CipherSHA256 != r.CipherSHA256 && (old.CipherSHA256 != "" || r.CipherSHA256 == "") {
			return refuse(protocol.AttachConflict, "object %s is already declared with other values", req.Object)
		}
		if old.CipherSHA256 == r.CipherSHA256 {
			return nil
		}
		// Declared while it was being encrypted: its digest now.
		old.CipherSHA256 = r.CipherSHA256
		b, err := json.Marshal(old)
		if err == nil {
			_, err = s.kv.Put(ctx, req.Object, b)
		}
		if err != nil {
			return fmt.Errorf("record attachment %s: %w", req.Object, err)
		}
		s.mu.Lock()
		delete(s.recs, req.Object)
		s.mu.Unlock()
		return nil
	}
	if n.CipherSize > s.maxSize {
		return refuse(protocol.AttachLimit, "the attachment is %d bytes encrypted, over the network's limit max_attachment_size of %d bytes", n.CipherSize, s.maxSize)
	}
	s.mu.Lock()
	if s.used[r.Owner]+n.CipherSize > s.quota {
		// Records leave the bucket at the retention without telling the
		// service: count again before refusing.
		s.mu.Unlock()
		if err := s.recount(ctx); err != nil {
			return err
		}
		s.mu.Lock()
	}
	if used := s.used[r.Owner]; used+n.CipherSize > s.quota {
		s.mu.Unlock()
		return refuse(protocol.AttachLimit, "agency %s holds %d bytes of attachments at the hub; %d more is over its limit member_limits.attachment_bytes of %d bytes", r.Owner, used, n.CipherSize, s.quota)
	}
	s.used[r.Owner] += n.CipherSize
	s.mu.Unlock()
	r.Created = time.Now().UTC()
	b, err := json.Marshal(r)
	if err == nil {
		_, err = s.kv.Create(ctx, req.Object, b)
	}
	if err != nil {
		s.mu.Lock()
		s.used[r.Owner] -= n.CipherSize
		s.mu.Unlock()
		return fmt.Errorf("record attachment %s: %w", req.Object, err)
	}
	s.log.Info("attachment declared", "object", req.Object, "owner", r.Owner, "size", r.CipherSize, "recipients", len(r.To))
	s.tellChunks(r, req, ans)
	return nil
}

// put stores one chunk, unless the hub has it, once it is on disk.
func (s *attachService) put(ctx context.Context, r *attachRecord, req *protocol.AttachRequest, m *nats.Msg) error {
	want := protocol.AttachChunkLen(r.CipherSize, req.Chunk)
	if want < 0 {
		return refuse(protocol.AttachInvalid, "object %s has %d chunks, not %d", req.Object, protocol.AttachChunks(r.CipherSize), req.Chunk+1)
	}
	if int64(len(m.Data)) != want {
		return refuse(protocol.AttachInvalid, "chunk %d of object %s is %d bytes, not %d", req.Chunk, req.Object, len(m.Data), want)
	}
	sum := sha256.Sum256(m.Data)
	digest := hex.EncodeToString(sum[:])
	if m.Header.Get(protocol.AttachChunkHeader) != digest {
		return refuse(protocol.AttachInvalid, "chunk %d of object %s does not match its digest: damaged on the way", req.Chunk, req.Object)
	}
	subj := s.chunkSubject(r, req.Object, req.Chunk)
	// Stored only if its subject holds nothing yet: a chunk the hub has
	// is refused by the stream itself, and only then read back (it was
	// read before every store: a round trip through the JetStream API a
	// chunk).
	out := nats.NewMsg(subj)
	out.Data = m.Data
	out.Header.Set(protocol.AttachChunkHeader, digest)
	out.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	_, err := s.js.PublishMsg(ctx, out, jetstream.WithExpectStream(attachStreamName(s.network)))
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
		// Stored before: the same bytes?
		_, have, found, err := s.readChunk(ctx, subj)
		if err != nil {
			return fmt.Errorf("look up chunk: %w", err)
		}
		if !found {
			return fmt.Errorf("store chunk %d of object %s: the stream refused it as stored, and does not have it", req.Chunk, req.Object)
		}
		if have != digest {
			return refuse(protocol.AttachConflict, "chunk %d of object %s is stored with another digest", req.Chunk, req.Object)
		}
		// Its first store may still be syncing: sync below all the same.
	} else if err != nil {
		return fmt.Errorf("store chunk: %w", err)
	}
	return s.sync(s.written.Add(1))
}

// sync makes the chunks stored durable, up to the mine-th counted in
// written: one sync for every chunk acknowledged before it started (the
// chunks stored while another sync ran share the next one).
func (s *attachService) sync(mine uint64) error {
	if s.syncer == nil {
		return nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.synced >= mine {
		return nil
	}
	upTo := s.written.Load()
	if err := s.syncer.sync(); err != nil {
		return fmt.Errorf("sync chunks: %w", err)
	}
	s.synced = upTo
	return nil
}

// syncEvery is how many bytes of chunks the guard sees stored between
// two background syncs of the chunk stream.
const syncEvery = 8 << 20

// chunkStored is told by the guard of each chunk it saw stored, of size
// bytes: every syncEvery bytes it syncs the stream in the background, so
// that the chunks published by their owner are written to disk while
// they come, and the owner's stat that ends an upload (which syncs
// whatever is left) waits for the last few only, not for the whole
// object. It changes nothing of what is durable when.
func (s *attachService) chunkStored(size int64) {
	if s.syncer == nil || s.unsynced.Add(size) < syncEvery || !s.syncing.CompareAndSwap(false, true) {
		return
	}
	s.unsynced.Store(0)
	go func() {
		defer s.syncing.Store(false)
		if err := s.sync(s.written.Add(1)); err != nil {
			s.log.Debug("background sync of the chunk stream", "err", err)
		}
	}()
}

// get answers one chunk and its digest. Asked to forward it (a node that
// listens on its delivery subject), a hub of one server has its chunk
// stream deliver the stored message there by direct get, and answers
// without it: the chunk goes from the stream to the member once, not
// through the service (a clustered hub's server may not have the chunk
// yet, and answers it as before).
func (s *attachService) get(ctx context.Context, r *attachRecord, req *protocol.AttachRequest, m, ans *nats.Msg) error {
	if protocol.AttachChunkLen(r.CipherSize, req.Chunk) < 0 {
		return refuse(protocol.AttachInvalid, "object %s has %d chunks, not %d", req.Object, protocol.AttachChunks(r.CipherSize), req.Chunk+1)
	}
	subj := s.chunkSubject(r, req.Object, req.Chunk)
	if s.forward && m.Header.Get(protocol.AttachForwardHeader) == "1" {
		to := protocol.AttachDeliverSubject(s.network, req.Agency, req.Object, req.Chunk)
		if err := s.nc.PublishRequest("$JS.API.DIRECT.GET."+attachStreamName(s.network)+"."+subj, to, nil); err != nil {
			return fmt.Errorf("forward chunk: %w", err)
		}
		ans.Header.Set(protocol.AttachForwardHeader, "1")
		return nil
	}
	data, digest, found, err := s.readChunk(ctx, subj)
	if err != nil {
		return err
	}
	if !found {
		// The cached record may be of an object deleted since.
		if r, err := s.record(ctx, req.Object); err != nil {
			return err
		} else if r == nil {
			s.mu.Lock()
			delete(s.recs, req.Object)
			s.mu.Unlock()
			return gone(req)
		}
		return refuse(protocol.AttachNotFound, "the hub does not have chunk %d of object %s", req.Chunk, req.Object)
	}
	ans.Data = data
	ans.Header.Set(protocol.AttachChunkHeader, digest)
	return nil
}

// have returns the chunks of an object the hub has.
func (s *attachService) have(ctx context.Context, r *attachRecord, object string) (protocol.ChunkSet, error) {
	set := protocol.NewChunkSet(protocol.AttachChunks(r.CipherSize))
	prefix := s.chunkPrefix(r, object) + "."
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(prefix+"*"))
	if err != nil {
		return nil, fmt.Errorf("list chunks: %w", err)
	}
	for subj := range info.State.Subjects {
		n, err := strconv.ParseInt(strings.TrimPrefix(subj, prefix), 10, 64)
		if err == nil && protocol.AttachChunkLen(r.CipherSize, n) >= 0 {
			set.Add(n)
		}
	}
	return set, nil
}

// stat answers the record and the chunks the hub has. Asked by the owner,
// whose chunks the stream acknowledged before they were synced, it syncs
// the stream first: the chunks it lists are on disk, and the owner's node
// holds its message until they all are.
func (s *attachService) stat(ctx context.Context, r *attachRecord, req *protocol.AttachRequest, ans *nats.Msg) error {
	object := req.Object
	if req.Agency == r.Owner {
		if err := s.sync(s.written.Add(1)); err != nil {
			return err
		}
		s.tellChunks(r, req, ans)
	}
	set, err := s.have(ctx, r, object)
	if err != nil {
		return err
	}
	if s.forward {
		// The asker may have its chunks delivered (get).
		ans.Header.Set(protocol.AttachForwardHeader, "1")
	}
	b, err := protocol.Marshal(&protocol.AttachStatReply{CipherSHA256: r.CipherSHA256, CipherSize: r.CipherSize, Have: set.String(),
		Message: r.Message, Owner: r.Owner, Stored: set.Count(), To: r.To})
	if err != nil {
		return err
	}
	ans.Data = b
	return nil
}

// remove deletes object r's chunks and record and gives its size back to
// its sender's quota.
func (s *attachService) remove(ctx context.Context, object string, r *attachRecord) error {
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(s.chunkPrefix(r, object)+".*")); err != nil {
		return fmt.Errorf("delete chunks: %w", err)
	}
	if err := s.kv.Purge(ctx, object); err != nil {
		return fmt.Errorf("delete attachment record: %w", err)
	}
	s.mu.Lock()
	s.used[r.Owner] -= r.CipherSize
	delete(s.recs, object)
	s.mu.Unlock()
	return nil
}

// done records that a recipient has the whole object; once every
// recipient has, the object is deleted.
func (s *attachService) done(ctx context.Context, r *attachRecord, req *protocol.AttachRequest) error {
	if req.Agency == r.Owner {
		return nil
	}
	set, err := s.have(ctx, r, req.Object)
	if err != nil {
		return err
	}
	if set.Count() != protocol.AttachChunks(r.CipherSize) {
		return refuse(protocol.AttachIncomplete, "the hub does not have all of object %s", req.Object)
	}
	if !slices.Contains(r.Confirmed, req.Agency) {
		r.Confirmed = append(r.Confirmed, req.Agency)
		slices.Sort(r.Confirmed)
	}
	if len(r.Confirmed) < len(r.To) {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := s.kv.Put(ctx, req.Object, b); err != nil {
			return fmt.Errorf("record confirmation: %w", err)
		}
		return nil
	}
	if err := s.remove(ctx, req.Object, r); err != nil {
		return err
	}
	s.log.Info("attachment deleted: every recipient has it", "object", req.Object, "owner", r.Owner)
	return nil
}

// usedBy returns what agency holds, for the log and tests.
func (s *attachService) usedBy(agency string) (string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return agency, s.used[agency]
}
