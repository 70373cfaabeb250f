package store

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// marshalBody is json.Marshal(e) for an inbox or outbox entry whose body,
// *body, is JSON the node has validated (the body it sealed, or the one it
// opened and checked against its type): the body goes into the encoding as
// it is. encoding/json would check and compact a json.RawMessage once
// more, a second pass over the body of every message the node sends or
// receives.
func marshalBody(e any, body *json.RawMessage) ([]byte, error) {
	b := *body
	if len(b) == 0 {
		return json.Marshal(e)
	}
	*body = nil
	v, err := json.Marshal(e)
	*body = b
	if err != nil {
		return nil, err
	}
	// The entry's own field: the last one of its encoding, as the fields
	// after it hold no object, and in a string every quote is escaped.
	const field, null = `"body":`, `"body":null`
	i := bytes.LastIndex(v, []byte(null))
	if i < 0 {
		return nil, fmt.Errorf("encode entry: no body field")
	}
	out := make([]byte, 0, len(v)-len("null")+len(b))
	out = append(out, v[:i+len(field)]...)
	out = append(out, b...)
	return append(out, v[i+len(null):]...), nil
}
