package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
)

// A stream's snapshot and its restore, through the JetStream API of the
// embedded server (nats.go has no helper for either; `nats stream backup`
// speaks the same protocol):
//
// Snapshot: the hub subscribes to a subject of its own inbox and asks
// $JS.API.STREAM.SNAPSHOT.<stream> to deliver there. The server answers
// with the stream's configuration and state, then sends the snapshot in
// chunks, each full one with a reply subject that the hub acknowledges to
// let more come (flow control), and ends with an empty message whose
// status, if any, is 204 or the error. The snapshot holds the messages up to the stream's last
// sequence when the request was served, and the consumers' state bounded
// to it.
//
// Restore: the hub asks $JS.API.STREAM.RESTORE.<stream> with the
// configuration and state, which answers with a subject to send the
// chunks to; each chunk is a request the server answers (empty: taken),
// and an empty request ends the transfer and is answered once the stream
// is in place.

// snapshotChunk is the chunk size asked of the server; snapshotWindow
// how many bytes of chunks it may send ahead of the acknowledgements.
const (
	snapshotChunk  = 128 << 10
	snapshotWindow = 4 * snapshotChunk
)

// snapshotIdle bounds the wait for the next chunk or answer.
const snapshotIdle = 30 * time.Second

// restoreFinish bounds the wait for a restored stream to be in place once
// all its chunks are sent.
const restoreFinish = 10 * time.Minute

// maxSnapshotMeta bounds a snapshot's configuration-and-state document.
const maxSnapshotMeta = 1 << 20

// StreamMeta is what a restore needs besides the snapshot's bytes: the
// stream's configuration and its state when the snapshot was taken, as
// the server gave them.
type StreamMeta struct {
	Config json.RawMessage `json:"config"`
	State  json.RawMessage `json:"state"`
}

// streamState is the part of a stream's state a backup reports.
type streamState struct {
	Msgs      uint64 `json:"messages"`
	Bytes     uint64 `json:"bytes"`
	FirstSeq  uint64 `json:"first_seq"`
	LastSeq   uint64 `json:"last_seq"`
	Consumers int    `json:"consumer_count"`
}

// state decodes m's state.
func (m *StreamMeta) state() (streamState, error) {
	var s streamState
	if err := json.Unmarshal(m.State, &s); err != nil {
		return s, fmt.Errorf("stream state: %w", err)
	}
	return s, nil
}

// parseStreamMeta decodes a snapshot's meta document strictly.
func parseStreamMeta(b []byte) (*StreamMeta, error) {
	if len(b) > maxSnapshotMeta {
		return nil, fmt.Errorf("over %d bytes", maxSnapshotMeta)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m StreamMeta
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the object")
	}
	if len(m.Config) == 0 || len(m.State) == 0 {
		return nil, errors.New("no config or no state")
	}
	// Compacted, so that the document encodes back byte for byte.
	for _, raw := range []*json.RawMessage{&m.Config, &m.State} {
		var c bytes.Buffer
		if err := json.Compact(&c, *raw); err != nil {
			return nil, err
		}
		*raw = c.Bytes()
	}
	var named struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(m.Config, &named); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if !validStreamName(named.Name) {
		return nil, fmt.Errorf("config: stream name %.100q", named.Name)
	}
	if _, err := m.state(); err != nil {
		return nil, err
	}
	return &m, nil
}

// validStreamName accepts the names the hub's streams have: letters,
// digits, '-' and '_', 1 to 255 of them.
func validStreamName(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// apiError is the error part of a JetStream API answer.
type apiError struct {
	Error *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
}

func (a *apiError) err() error {
	if a.Error == nil {
		return nil
	}
	return fmt.Errorf("%s (JetStream error %d)", a.Error.Description, a.Error.ErrCode)
}

// snapshotStream writes the snapshot of stream name, with its consumers,
// to w, through nc (a connection of the stream's account, which must be
// allowed to acknowledge chunks: $JS.SNAPSHOT.ACK.>) and returns its
// configuration and state.
func snapshotStream(ctx context.Context, nc *nats.Conn, name string, w io.Writer) (*StreamMeta, error) {
	deliver := nc.NewInbox()
	// The subscription's pending limit (64 MiB by default) holds the
	// window of chunks not yet acknowledged.
	sub, err := nc.SubscribeSync(deliver)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	req, err := json.Marshal(map[string]any{"deliver_subject": deliver, "chunk_size": snapshotChunk, "window_size": snapshotWindow})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, snapshotIdle)
	resp, err := nc.RequestWithContext(rctx, "$JS.API.STREAM.SNAPSHOT."+name, req)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("ask for the snapshot: %w", err)
	}
	var answer struct {
		apiError
		Config json.RawMessage `json:"config"`
		State  json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal(resp.Data, &answer); err != nil {
		return nil, fmt.Errorf("the server's answer: %w", err)
	}
	if err := answer.err(); err != nil {
		return nil, err
	}
	meta := &StreamMeta{Config: answer.Config, State: answer.State}
	for {
		rctx, cancel := context.WithTimeout(ctx, snapshotIdle)
		m, err := sub.NextMsgWithContext(rctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("wait for a chunk: %w", err)
		}
		if len(m.Data) == 0 {
			// The end: a status other than 204 is the server's error.
			// (A snapshot that fits in its first chunk ends without one.)
			if st := m.Header.Get("Status"); st != "" && st != "204" {
				return nil, fmt.Errorf("the server ended the snapshot: %s %s", st, m.Header.Get("Description"))
			}
			return meta, nil
		}
		if _, err := w.Write(m.Data); err != nil {
			return nil, err
		}
		if m.Reply != "" {
			if err := nc.Publish(m.Reply, nil); err != nil {
				return nil, fmt.Errorf("acknowledge a chunk: %w", err)
			}
		}
	}
}

// restoreStream creates the stream of meta from the snapshot r, through
// nc (a connection of the stream's account, which must be allowed to send
// the chunks: $JS.SNAPSHOT.RESTORE.>).
func restoreStream(ctx context.Context, nc *nats.Conn, meta *StreamMeta, r io.Reader) error {
	req, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	request := func(subject string, data []byte) (*nats.Msg, error) {
		rctx, cancel := context.WithTimeout(ctx, snapshotIdle)
		defer cancel()
		return nc.RequestWithContext(rctx, subject, data)
	}
	resp, err := request("$JS.API.STREAM.RESTORE."+meta.name(), req)
	if err != nil {
		return fmt.Errorf("ask for the restore: %w", err)
	}
	var answer struct {
		apiError
		DeliverSubject string `json:"deliver_subject"`
	}
	if err := json.Unmarshal(resp.Data, &answer); err != nil {
		return fmt.Errorf("the server's answer: %w", err)
	}
	if err := answer.err(); err != nil {
		return err
	}
	buf := make([]byte, snapshotChunk)
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			resp, err := request(answer.DeliverSubject, buf[:n])
			if err != nil {
				return fmt.Errorf("send a chunk: %w", err)
			}
			if len(resp.Data) > 0 {
				var a apiError
				if err := json.Unmarshal(resp.Data, &a); err != nil {
					return fmt.Errorf("the server's answer to a chunk: %w", err)
				}
				if err := a.err(); err != nil {
					return err
				}
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	// The server answers the last request once the stream is in place.
	fctx, cancel := context.WithTimeout(ctx, restoreFinish)
	defer cancel()
	resp, err = nc.RequestWithContext(fctx, answer.DeliverSubject, nil)
	if err != nil {
		return fmt.Errorf("finish the restore: %w", err)
	}
	var done apiError
	if err := json.Unmarshal(resp.Data, &done); err != nil {
		return fmt.Errorf("the server's answer to the restore: %w", err)
	}
	return done.err()
}
