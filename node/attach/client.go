package attach

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
)

// Defaults of a Client.
const (
	// DefaultInFlight is how many chunks a transfer has in flight.
	DefaultInFlight = 8
	// DefaultTimeout bounds one request: long, for the chunks in flight on
	// a slow link; a lost connection ends a transfer sooner (the node
	// cancels it when it goes offline).
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxBackoff bounds the wait before a failed chunk is asked
	// again.
	DefaultMaxBackoff = 10 * time.Second
)

// Client talks to the attachment service as one agency.
type Client struct {
	nc       *nats.Conn
	network  string
	agency   string
	inFlight int
	timeout  time.Duration
	backoff  time.Duration // the first wait; doubled up to maxWait
	maxWait  time.Duration

	// Chunks and Bytes count the chunks and bytes this client put or got
	// (not those the hub already had): what a resumed transfer re-sent.
	// Again counts the bytes of chunks asked again after a failed attempt
	// (the link or the hub died before the answer). Delivered counts the
	// chunks got that the hub's chunk stream delivered (deliveries).
	Chunks, Bytes, Again, Delivered atomic.Int64

	// forwards is set once a stat answer said that the hub has its
	// chunk stream deliver chunks: until then gets do not ask for it, and
	// the delivery subjects are not listened to (an earlier hub's
	// permissions refuse them).
	forwards atomic.Bool
	deliver  deliveries
}

// deliveries takes the chunks the hub's chunk stream delivers to this
// agency (protocol.AttachDeliverSubject) to the gets waiting for them.
type deliveries struct {
	once    sync.Once
	ok      bool // subscribed
	mu      sync.Mutex
	waiting map[string]chan *nats.Msg
}

// listen subscribes to this agency's delivery subjects, once; it reports
// whether they are listened to.
func (c *Client) listen() bool {
	d := &c.deliver
	d.once.Do(func() {
		d.waiting = map[string]chan *nats.Msg{}
		sub, err := c.nc.Subscribe(protocol.AttachDeliverFilter(c.network, c.agency), func(m *nats.Msg) {
			d.mu.Lock()
			ch := d.waiting[m.Subject]
			d.mu.Unlock()
			if ch != nil {
				select {
				case ch <- m:
				default:
				}
			}
		})
		if err == nil {
			// Bounded by the chunks in flight; a chunk dropped is asked
			// again after its timeout.
			err = sub.SetPendingLimits(4*DefaultInFlight, 4*DefaultInFlight*(protocol.AttachChunkSize+64<<10))
		}
		d.ok = err == nil
	})
	return d.ok
}

// await returns the channel on which the chunk delivered on subj comes, and
// a function that stops waiting for it.
func (c *Client) await(subj string) (<-chan *nats.Msg, func()) {
	d := &c.deliver
	ch := make(chan *nats.Msg, 1)
	d.mu.Lock()
	d.waiting[subj] = ch
	d.mu.Unlock()
	return ch, func() {
		d.mu.Lock()
		if d.waiting[subj] == ch {
			delete(d.waiting, subj)
		}
		d.mu.Unlock()
	}
}

// Options adjust a Client; zero values are the defaults.
type Options struct {
	InFlight   int
	Timeout    time.Duration
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// New returns a client of agency in network over nc.
func New(nc *nats.Conn, network, agency string, o Options) *Client {
	c := &Client{nc: nc, network: network, agency: agency, inFlight: o.InFlight, timeout: o.Timeout, backoff: o.Backoff, maxWait: o.MaxBackoff}
	if c.inFlight <= 0 {
		c.inFlight = DefaultInFlight
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.backoff <= 0 {
		c.backoff = 100 * time.Millisecond
	}
	if c.maxWait <= 0 {
		c.maxWait = DefaultMaxBackoff
	}
	return c
}

// ServiceError is the hub's refusal of a request.
type ServiceError struct {
	Code string // one of protocol's Attach* codes
	Msg  string
}

func (e *ServiceError) Error() string { return e.Msg }

// ChunkError reports a chunk whose bytes do not match its digest.
type ChunkError struct {
	Object string
	Chunk  int64
}

func (e *ChunkError) Error() string {
	return fmt.Sprintf("chunk %d of object %s does not match its SHA-256: altered at the hub or on the way", e.Chunk, e.Object)
}

// retryable reports whether a failed request may succeed when asked again:
// not a refusal that asking again cannot change.
func retryable(err error) bool {
	var se *ServiceError
	if errors.As(err, &se) {
		return se.Code == protocol.AttachFailed
	}
	var ce *ChunkError
	return !errors.As(err, &ce) && !errors.Is(err, context.Canceled)
}

// request sends one request and returns the answer, or the hub's refusal
// as a *ServiceError.
func (c *Client) request(ctx context.Context, m *nats.Msg) (*nats.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ans, err := c.nc.RequestMsgWithContext(ctx, m)
	if err != nil {
		return nil, err
	}
	switch st := ans.Header.Get(protocol.AttachStatusHeader); st {
	case protocol.AttachOK:
		return ans, nil
	case "":
		return nil, fmt.Errorf("the hub answered without a status: does it serve attachments?")
	default:
		return nil, &ServiceError{Code: st, Msg: ans.Header.Get(protocol.AttachErrorHeader)}
	}
}

// retry calls fn until it succeeds, fails for good, or ctx ends, waiting
// with back-off between attempts.
func (c *Client) retry(ctx context.Context, fn func() error) error {
	wait := c.backoff
	for {
		err := fn()
		if err == nil || !retryable(err) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, c.maxWait)
	}
}

func (c *Client) subject(verb, object string, chunk int64) string {
	return protocol.AttachRequestSubject(c.network, c.agency, verb, object, chunk)
}

// Declare declares object at the hub; declaring it again with the same
// values is not an error.
func (c *Client) Declare(ctx context.Context, object string, req *protocol.AttachNewRequest) error {
	b, err := protocol.Marshal(req)
	if err != nil {
		return err
	}
	return c.retry(ctx, func() error {
		m := nats.NewMsg(c.subject(protocol.AttachNew, object, 0))
		m.Data = b
		_, err := c.request(ctx, m)
		return err
	})
}

// Stat returns the hub's record of object and the chunks it has.
func (c *Client) Stat(ctx context.Context, object string) (*protocol.AttachStatReply, protocol.ChunkSet, error) {
	r, have, _, err := c.stat(ctx, object)
	return r, have, err
}

// stat is Stat, and where this agency publishes the object's chunks
// itself: "" when it puts them through the service (the hub did not say,
// or the object is not this agency's).
func (c *Client) stat(ctx context.Context, object string) (*protocol.AttachStatReply, protocol.ChunkSet, string, error) {
	var r *protocol.AttachStatReply
	var have protocol.ChunkSet
	var prefix string
	err := c.retry(ctx, func() error {
		ans, err := c.request(ctx, nats.NewMsg(c.subject(protocol.AttachStat, object, 0)))
		if err != nil {
			return err
		}
		prefix = ""
		if ans.Header.Get(protocol.AttachForwardHeader) == "1" {
			c.forwards.Store(true)
		}
		if p := ans.Header.Get(protocol.AttachChunksHeader); p == protocol.AttachChunkPrefix(c.network, c.agency, object) {
			prefix = p
		}
		if r, err = protocol.ParseAttachStat(ans.Data); err != nil {
			return &ServiceError{Code: protocol.AttachInvalid, Msg: "the hub's answer: " + err.Error()}
		}
		have, err = protocol.DecodeChunkSet(r.Have, protocol.AttachChunks(r.CipherSize))
		return err
	})
	return r, have, prefix, err
}

// Done tells the hub that this agency has the whole object.
func (c *Client) Done(ctx context.Context, object string) error {
	return c.retry(ctx, func() error {
		_, err := c.request(ctx, nats.NewMsg(c.subject(protocol.AttachDone, object, 0)))
		return err
	})
}

// Delete asks the hub to delete object, which this agency sent and
// abandoned (its message was cancelled before it was published). An
// object the hub no longer has is refused as AttachForbidden, like any
// object the hub does not have for this agency.
func (c *Client) Delete(ctx context.Context, object string) error {
	return c.retry(ctx, func() error {
		_, err := c.request(ctx, nats.NewMsg(c.subject(protocol.AttachDelete, object, 0)))
		return err
	})
}

// WatchTimeout bounds a watch request: the hub holds one for up to 20
// seconds when it has no news.
const WatchTimeout = time.Minute

// Watch asks the hub for the objects declared to this agency after seq
// after (0 at first) and returns them with the seq to ask after next. The
// hub answers at once when it has news, else after a while with none.
func (c *Client) Watch(ctx context.Context, after int64) (*protocol.AttachWatchReply, error) {
	b, err := protocol.Marshal(&protocol.AttachWatchRequest{After: after})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, WatchTimeout)
	defer cancel()
	m := nats.NewMsg(c.subject(protocol.AttachWatch, "", 0))
	m.Data = b
	ans, err := c.nc.RequestMsgWithContext(ctx, m)
	if err != nil {
		return nil, err
	}
	if st := ans.Header.Get(protocol.AttachStatusHeader); st != protocol.AttachOK {
		return nil, &ServiceError{Code: st, Msg: ans.Header.Get(protocol.AttachErrorHeader)}
	}
	r, err := protocol.ParseAttachWatchReply(ans.Data)
	if err != nil {
		return nil, &ServiceError{Code: protocol.AttachInvalid, Msg: "the hub's answer: " + err.Error()}
	}
	return r, nil
}

// put uploads one chunk: through the service, or published on prefix
// (the object's chunk subjects) when it is not "".
func (c *Client) put(ctx context.Context, object, prefix string, n int64, data []byte) error {
	sum := sha256.Sum256(data)
	subj := c.subject(protocol.AttachPut, object, n)
	if prefix != "" {
		subj = prefix + "." + strconv.FormatInt(n, 10)
	}
	m := nats.NewMsg(subj)
	m.Data = data
	m.Header.Set(protocol.AttachChunkHeader, hex.EncodeToString(sum[:]))
	if prefix == "" {
		if _, err := c.request(ctx, m); err != nil {
			return err
		}
	} else if err := c.publish(ctx, m); err != nil {
		return err
	}
	c.Chunks.Add(1)
	c.Bytes.Add(int64(len(data)))
	return nil
}

// publish stores a chunk in the hub's chunk stream, unless it has it.
func (c *Client) publish(ctx context.Context, m *nats.Msg) error {
	// The stream stores nothing on a chunk's subject that holds one.
	m.Header.Set("Nats-Expected-Last-Subject-Sequence", "0")
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ans, err := c.nc.RequestMsgWithContext(ctx, m)
	if err != nil {
		return err
	}
	return parsePubAck(ans.Data)
}

// maxPubAck bounds the chunk stream's answer to a chunk published.
const maxPubAck = 4096

// parsePubAck reads the chunk stream's answer to a chunk published: nil
// when the stream stored it or had it already. The answer is JetStream's
// publish acknowledgement, whose other members (domain, duplicate, …) are
// left alone.
func parsePubAck(b []byte) error {
	var ack struct {
		Stream string `json:"stream"`
		Seq    uint64 `json:"seq"`
		Error  *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if len(b) > maxPubAck {
		return fmt.Errorf("store chunk: the hub's answer is %d bytes", len(b))
	}
	if err := json.Unmarshal(b, &ack); err != nil {
		return fmt.Errorf("store chunk: the hub's answer: %w", err)
	}
	switch {
	case ack.Error == nil && ack.Seq > 0:
		return nil
	case ack.Error == nil:
		return fmt.Errorf("store chunk: the hub's answer has no sequence")
	case ack.Error.ErrCode == jsWrongLastSequence || ack.Error.ErrCode == jsWrongLastSequenceConstant || ack.Error.ErrCode == jsStoreFailed && strings.Contains(ack.Error.Description, "per subject"):
		// Stored before (a first attempt whose answer was lost): the
		// same bytes, from the same file; the receivers check them.
		return nil
	case ack.Error.Code == 400:
		return &ServiceError{Code: protocol.AttachInvalid, Msg: "casenode hub: the chunk stream refused the chunk: " + ack.Error.Description}
	default:
		return fmt.Errorf("store chunk: %s (%d)", ack.Error.Description, ack.Error.ErrCode)
	}
}

// The JetStream error codes of a chunk stored before.
const (
	jsWrongLastSequence         = 10071
	jsWrongLastSequenceConstant = 10164
	jsStoreFailed               = 10077
)

// get downloads one chunk of size bytes into buf and checks it. Once the
// hub said it can, it asks the hub to have its chunk stream deliver the
// chunk on this agency's delivery subject (the hub's service then never
// reads it), and takes it from the answer of a hub that does not.
func (c *Client) get(ctx context.Context, object string, n int64, size int64) ([]byte, error) {
	m := nats.NewMsg(c.subject(protocol.AttachGet, object, n))
	var delivered <-chan *nats.Msg
	if c.forwards.Load() && c.listen() {
		var stop func()
		delivered, stop = c.await(protocol.AttachDeliverSubject(c.network, c.agency, object, n))
		defer stop()
		m.Header.Set(protocol.AttachForwardHeader, "1")
	}
	ans, err := c.request(ctx, m)
	if err != nil {
		return nil, err
	}
	if ans.Header.Get(protocol.AttachForwardHeader) == "1" && delivered != nil {
		ctx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		select {
		case ans = <-delivered:
		case <-ctx.Done():
			return nil, fmt.Errorf("get chunk %d of object %s: not delivered: %w", n, object, ctx.Err())
		}
		if st := ans.Header.Get("Status"); st == "404" {
			return nil, &ServiceError{Code: protocol.AttachNotFound, Msg: fmt.Sprintf("casenode hub: the hub does not have chunk %d of object %s", n, object)}
		} else if st != "" {
			return nil, fmt.Errorf("get chunk %d of object %s: %s %s", n, object, st, ans.Header.Get("Description"))
		}
		c.Delivered.Add(1)
	}
	c.Chunks.Add(1)
	c.Bytes.Add(int64(len(ans.Data)))
	sum := sha256.Sum256(ans.Data)
	if want := protocol.AttachChunkLen(size, n); int64(len(ans.Data)) != want || ans.Header.Get(protocol.AttachChunkHeader) != hex.EncodeToString(sum[:]) {
		return nil, &ChunkError{Object: object, Chunk: n}
	}
	return ans.Data, nil
}
