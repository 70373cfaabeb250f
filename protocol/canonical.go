package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ErrNotCanonical reports input that decodes but is not in the one canonical
// encoding (other key order, white space, escapes, duplicate keys…).
var ErrNotCanonical = errors.New("not in canonical encoding")

// Marshal returns the canonical encoding of v: encoding/json's output for the
// documented field order, without HTML escaping and without a trailing
// newline. docs/PROTOCOL.md states the rules for other implementations.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// DecodeStrict decodes data into v, refusing input over limit bytes, unknown
// fields, trailing data, invalid UTF-8, repeated keys and keys not spelled
// exactly as the field names.
func DecodeStrict(what string, data []byte, limit int, v any) error {
	if len(data) > limit {
		return fmt.Errorf("%s is %d bytes, over the limit of %d", what, len(data), limit)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	if dec.More() {
		return fmt.Errorf("decode %s: trailing data after the JSON value", what)
	}
	if _, err := dec.Token(); err == nil {
		return fmt.Errorf("decode %s: trailing data after the JSON value", what)
	}
	return checkJSON(what, data)
}

// checkJSON refuses what encoding/json accepts but other decoders may read
// differently: invalid UTF-8, a key repeated in one object, and keys other
// than lowercase ASCII letters, digits and '_' (encoding/json matches "Title"
// or "ſummary" to a field named "title" or "summary"). data is already known
// to be one well-formed JSON value.
func checkJSON(what string, data []byte) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("decode %s: not valid UTF-8", what)
	}
	type frame struct {
		keys    map[string]bool // nil for an array
		wantKey bool
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("decode %s: %w", what, err)
		}
		n := len(stack)
		if n > 0 && stack[n-1].keys != nil && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				continue
			}
			key, _ := tok.(string)
			if !isFieldName(key) {
				return fmt.Errorf("decode %s: key %s: keys are lowercase ASCII letters, digits and '_', spelled exactly as the field names", what, quote(key))
			}
			if stack[n-1].keys[key] {
				return fmt.Errorf("decode %s: duplicate key %q", what, key)
			}
			stack[n-1].keys[key] = true
			stack[n-1].wantKey = false
			continue
		}
		if n > 0 && stack[n-1].keys != nil {
			stack[n-1].wantKey = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		case json.Delim(']'):
			stack = stack[:n-1]
		}
	}
}

func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// DecodeCanonical is DecodeStrict that also requires data to be exactly the
// canonical encoding of the decoded value, so that parse then marshal is
// byte-identical.
func DecodeCanonical(what string, data []byte, limit int, v any) error {
	if err := DecodeStrict(what, data, limit, v); err != nil {
		return err
	}
	again, err := Marshal(v)
	if err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	if !bytes.Equal(again, data) {
		return fmt.Errorf("decode %s: %w", what, ErrNotCanonical)
	}
	return nil
}
