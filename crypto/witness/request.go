package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

// Limits of an add-checkpoint request.
const (
	// MaxProofLines is the most consistency-proof lines a request may
	// carry (tlog-witness: "MUST NOT send more than 63").
	MaxProofLines = 63
	// MaxCheckpointSize bounds a signed or cosigned checkpoint: three
	// short lines and a few signature lines.
	MaxCheckpointSize = 4 << 10
	// MaxRequestSize bounds a whole request: the old size line, 63 proof
	// lines of 45 bytes, the empty line and a checkpoint.
	MaxRequestSize = 32 + MaxProofLines*45 + 1 + MaxCheckpointSize
)

// Request is an add-checkpoint request: the size of the checkpoint the log
// believes the witness cosigned last, a consistency proof from it, and the
// new signed checkpoint.
type Request struct {
	// Old is the tree size the proof starts from.
	Old int64
	// Proof is the RFC 6962 consistency proof from Old to the checkpoint's
	// size; empty when Old is 0 or equal to the size.
	Proof tlog.TreeProof
	// Checkpoint is the signed checkpoint note, as the log signed it.
	Checkpoint []byte
}

// Marshal returns the request body: "old N", one base64 hash per line, an
// empty line, the checkpoint.
func (r *Request) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString("old ")
	b.WriteString(strconv.FormatInt(r.Old, 10))
	b.WriteByte('\n')
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// ParseRequest decodes a request body strictly: at most MaxRequestSize
// bytes, the old size in its one decimal spelling, at most MaxProofLines
// hashes each in canonical base64 of 32 bytes, the empty line, and a
// non-empty checkpoint of at most MaxCheckpointSize bytes. It does not open
// the checkpoint.
func ParseRequest(body []byte) (*Request, error) {
	if len(body) > MaxRequestSize {
		return nil, fmt.Errorf("request is %d bytes, over the limit of %d", len(body), MaxRequestSize)
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return nil, fmt.Errorf("request: no old size line")
	}
	num, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return nil, fmt.Errorf("request: the first line must be \"old N\"")
	}
	old, err := parseSize(num)
	if err != nil {
		return nil, fmt.Errorf("request: old size: %w", err)
	}
	r := &Request{Old: old}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return nil, fmt.Errorf("request: no empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == MaxProofLines {
			return nil, fmt.Errorf("request: more than %d consistency proof lines", MaxProofLines)
		}
		h, err := decodeHash(line)
		if err != nil {
			return nil, fmt.Errorf("request: consistency proof line %d: %w", len(r.Proof)+1, err)
		}
		r.Proof = append(r.Proof, h)
	}
	if len(rest) == 0 {
		return nil, fmt.Errorf("request: no checkpoint")
	}
	if len(rest) > MaxCheckpointSize {
		return nil, fmt.Errorf("request: checkpoint is %d bytes, over the limit of %d", len(rest), MaxCheckpointSize)
	}
	r.Checkpoint = bytes.Clone(rest)
	return r, nil
}

// parseSize decodes a tree size: ASCII decimal, no sign, no leading zero.
func parseSize(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != string(b) {
		return 0, fmt.Errorf("%q is not a tree size", b)
	}
	return n, nil
}

// decodeHash decodes a hash in canonical standard base64.
func decodeHash(b []byte) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.Strict().DecodeString(string(b))
	if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != string(b) {
		return h, fmt.Errorf("%q is not a base64 hash of %d bytes", b, tlog.HashSize)
	}
	copy(h[:], raw)
	return h, nil
}

// ParseConflict decodes the body of a 409 answer: the witness's tree size
// in decimal and a newline.
func ParseConflict(body []byte) (int64, error) {
	num, ok := bytes.CutSuffix(body, []byte("\n"))
	if !ok || len(num) > 20 {
		return 0, fmt.Errorf("conflict answer: want a tree size and a newline")
	}
	return parseSize(num)
}
