package hub

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
)

// readChunk reads the stored chunk of subject subj: its bytes and the
// digest recorded with it, found is false when there is none. It asks for
// it by direct get, whose answer is the stored message as it is (the
// JetStream API's message get answers it in JSON, its bytes in base64:
// encoded by the server, decoded here, 350 KB a chunk). A server of a
// clustered hub answers a direct get from its own copy, which may lag
// behind: a chunk it does not have is asked again through the API, which
// the stream's leader answers.
func (s *attachService) readChunk(ctx context.Context, subj string) (data []byte, digest string, found bool, err error) {
	ans, err := s.nc.RequestWithContext(ctx, "$JS.API.DIRECT.GET."+attachStreamName(s.network)+"."+subj, nil)
	if err == nil {
		switch st := ans.Header.Get("Status"); {
		case st == "" && len(ans.Data) > 0:
			return ans.Data, ans.Header.Get(chunkDigestHeader), true, nil
		case st != "404":
			return nil, "", false, fmt.Errorf("read chunk: %s %s", st, ans.Header.Get("Description"))
		}
	} else if !errors.Is(err, nats.ErrNoResponders) {
		return nil, "", false, fmt.Errorf("read chunk: %w", err)
	}
	return s.readChunkAPI(ctx, subj)
}

// readChunkAPI is readChunk through the JetStream API, its answer taken
// apart without encoding/json, whose decoding of a chunk's 350 KB of
// base64 cost four times the rest of the request (the client library's
// GetLastMsgForSubject: 4.5 ms a chunk, this: 0.8 ms).
func (s *attachService) readChunkAPI(ctx context.Context, subj string) (data []byte, digest string, found bool, err error) {
	req, err := json.Marshal(struct {
		LastBySubj string `json:"last_by_subj"`
	}{subj})
	if err != nil {
		return nil, "", false, err
	}
	ans, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+attachStreamName(s.network), req)
	if err != nil {
		return nil, "", false, err
	}
	return parseMsgGet(ans.Data)
}

// jsNoMessage is the JetStream API's error code for no such message.
const jsNoMessage = 10037

// parseMsgGet takes a JetStream message-get answer apart: the payload and
// the AttachChunkHeader of its message, or found false for "no message".
// The answer comes from the hub's own server; it is still read strictly:
// anything but the shape the server writes is an error.
func parseMsgGet(b []byte) (data []byte, digest string, found bool, err error) {
	if !bytes.HasPrefix(b, []byte(`{"type":"io.nats.jetstream.api.v1.stream_msg_get_response",`)) {
		return nil, "", false, fmt.Errorf("read chunk: unexpected answer from the server")
	}
	if bytes.Contains(b, []byte(`"error":{`)) && len(b) < 4096 {
		var e struct {
			Error struct {
				Code        int    `json:"code"`
				ErrCode     int    `json:"err_code"`
				Description string `json:"description"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, "", false, fmt.Errorf("read chunk: %w", err)
		}
		if e.Error.ErrCode == jsNoMessage {
			return nil, "", false, nil
		}
		return nil, "", false, fmt.Errorf("read chunk: %s (%d)", e.Error.Description, e.Error.ErrCode)
	}
	hdrs, err := base64Field(b, "hdrs")
	if err != nil {
		return nil, "", false, err
	}
	if data, err = base64Field(b, "data"); err != nil {
		return nil, "", false, err
	}
	h, err := parseHeaderBlock(hdrs)
	if err != nil {
		return nil, "", false, err
	}
	return data, h.Get(chunkDigestHeader), true, nil
}

// chunkDigestHeader is protocol.AttachChunkHeader, as stored.
const chunkDigestHeader = "Casenode-Chunk-Sha256"

// base64Field decodes the string field name of the answer's message: a
// base64 value holds no quote or escape, so it ends at the next quote.
func base64Field(b []byte, name string) ([]byte, error) {
	key := []byte(`,"` + name + `":"`)
	i := bytes.Index(b, key)
	if i < 0 || bytes.Count(b, key) != 1 {
		return nil, fmt.Errorf("read chunk: the answer has no single %s", name)
	}
	rest := b[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil, fmt.Errorf("read chunk: unterminated %s", name)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(j))
	n, err := base64.StdEncoding.Strict().Decode(out, rest[:j])
	if err != nil {
		return nil, fmt.Errorf("read chunk: %s: %w", name, err)
	}
	return out[:n], nil
}

// parseHeaderBlock reads a NATS header block ("NATS/1.0\r\nKey: value\r\n
// …\r\n\r\n").
func parseHeaderBlock(b []byte) (nats.Header, error) {
	lines := bytes.Split(b, []byte("\r\n"))
	if len(lines) < 3 || !bytes.HasPrefix(lines[0], []byte("NATS/1.0")) || len(lines[len(lines)-1]) != 0 || len(lines[len(lines)-2]) != 0 {
		return nil, fmt.Errorf("read chunk: malformed headers")
	}
	h := nats.Header{}
	for _, l := range lines[1 : len(lines)-2] {
		k, v, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			return nil, fmt.Errorf("read chunk: malformed header line %s", strconv.Quote(string(l)))
		}
		h.Add(string(bytes.TrimSpace(k)), string(bytes.TrimSpace(v)))
	}
	return h, nil
}
