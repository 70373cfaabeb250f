package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
// fields and trailing data.
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
	return nil
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
