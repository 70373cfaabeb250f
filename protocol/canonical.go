package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return fmt.Errorf("decode %s: trailing data after the JSON value", what)
	}
	return checkJSON(what, data)
}

// checkJSON refuses what encoding/json accepts but other decoders may read
// differently: invalid UTF-8, a key repeated in one object, and keys other
// than lowercase ASCII letters, digits and '_' (encoding/json matches "Title"
// or "ſummary" to a field named "title" or "summary"; an escaped key is
// refused too). data must already be known to be one well-formed JSON value:
// the scan relies on it, and only looks at strings, the colons after keys,
// and brackets.
func checkJSON(what string, data []byte) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("decode %s: not valid UTF-8", what)
	}
	var stack []keySet // one per open object or array
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, keySet{object: true})
		case '[':
			stack = append(stack, keySet{})
		case '}', ']':
			if len(stack) == 0 {
				return fmt.Errorf("decode %s: unbalanced %q", what, data[i])
			}
			stack = stack[:len(stack)-1]
		case '"':
			end, escaped := stringEnd(data, i+1)
			k := end + 1
			for k < len(data) && (data[k] == ' ' || data[k] == '\t' || data[k] == '\n' || data[k] == '\r') {
				k++
			}
			if k < len(data) && data[k] == ':' && len(stack) > 0 && stack[len(stack)-1].object {
				key := string(data[i+1 : end])
				if escaped || !isFieldName(key) {
					return fmt.Errorf("decode %s: key %s: keys are lowercase ASCII letters, digits and '_', spelled exactly as the field names", what, quote(key))
				}
				if !stack[len(stack)-1].add(key) {
					return fmt.Errorf("decode %s: duplicate key %q", what, key)
				}
			}
			i = end
		}
	}
	return nil
}

// stringEnd returns the index of the quote that closes the string whose
// content starts at i, and whether the string holds an escape.
func stringEnd(data []byte, i int) (int, bool) {
	escaped := false
	for ; i < len(data); i++ {
		switch data[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return i, escaped
		}
	}
	return len(data), escaped
}

// keySet is the keys seen in one JSON object: a short list, or a map once
// the object is large, so that a hostile object with many keys costs linear
// time.
type keySet struct {
	object bool
	list   []string
	set    map[string]struct{}
}

// add records key and reports whether it was new.
func (k *keySet) add(key string) bool {
	if k.set != nil {
		if _, dup := k.set[key]; dup {
			return false
		}
		k.set[key] = struct{}{}
		return true
	}
	for _, s := range k.list {
		if s == key {
			return false
		}
	}
	k.list = append(k.list, key)
	if len(k.list) > 16 {
		k.set = make(map[string]struct{}, 2*len(k.list))
		for _, s := range k.list {
			k.set[s] = struct{}{}
		}
		k.list = nil
	}
	return true
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
