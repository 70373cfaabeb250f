package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkJSONReference is the obviously correct, slow version of checkJSON,
// on encoding/json's tokenizer: the fuzz test holds the fast scan to it.
func checkJSONReference(data []byte) bool {
	type frame struct {
		keys    map[string]bool
		wantKey bool
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
		n := len(stack)
		if n > 0 && stack[n-1].keys != nil && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				continue
			}
			key, _ := tok.(string)
			if !isFieldName(key) || stack[n-1].keys[key] {
				return false
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

func TestCheckJSON(t *testing.T) {
	var keys []string
	for i := 0; i < 40; i++ {
		keys = append(keys, `"k`+string(rune('a'+i%26))+string(rune('a'+i/26))+`":1`)
	}
	many := "{" + strings.Join(keys, ",") + "}"
	manyDup := "{" + strings.Join(keys, ",") + `,"kba":2}`
	cases := map[string]string{
		`{"a":1,"b":{"c":[1,{"d":"x"}]}}`: "",
		`{"a":"b:c","b":"\"d\":"}`:        "",
		`["a",{"b":"c"}]`:                 "",
		many:                              "",
		`{"a":1,"a":2}`:                   `duplicate key "a"`,
		`{"a":{"b":1},"c":{"b":1}}`:       "",
		`{"a":{"b":1,"b":1}}`:             `duplicate key "b"`,
		`{"Title":1}`:                     `key "Title"`,
		`{"\u0061":1}`:                    `key "\\u0061"`,
		`{"a" : 1, "a" : 2}`:              `duplicate key "a"`,
		manyDup:                           `duplicate key "kba"`,
		"{\"a\":\"\xff\"}":                "not valid UTF-8",
	}
	for in, want := range cases {
		err := checkJSON("x", []byte(in))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
		if ref := checkJSONReference([]byte(in)); ref != (err == nil) && want != "not valid UTF-8" && !strings.Contains(in, `\u`) {
			t.Errorf("%s: reference says %v", in, ref)
		}
	}
}

// FuzzCheckJSON holds the fast scan to the tokenizer-based reference on
// every well-formed JSON input. (The reference accepts escaped keys that
// decode to valid names; the scan refuses every escaped key.)
func FuzzCheckJSON(f *testing.F) {
	for _, t := range MessageTypes() {
		f.Add(Example(t))
	}
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`{"a":{"b":[{"c":1,"c":2}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		fast := checkJSON("x", data) == nil
		ref := checkJSONReference(data)
		if fast && !ref {
			t.Fatalf("fast scan accepts what the reference refuses: %q", data)
		}
		if !fast && ref && !bytes.Contains(data, []byte(`\`)) {
			t.Fatalf("fast scan refuses what the reference accepts: %q (%v)", data, checkJSON("x", data))
		}
	})
}

// TestDecodeStrictTrailing: data after the value, even a lone bracket, is
// refused before the key scan (which once panicked on it).
func TestDecodeStrictTrailing(t *testing.T) {
	for _, in := range []string{`{"v":1} }`, `{"v":1} ]`, `{"v":1}{}`, `{"v":1} 1`, "{\"v\":1} }\x00\x00"} {
		var v struct {
			V int `json:"v"`
		}
		err := DecodeStrict("x", []byte(in), 100, &v)
		if err == nil || !strings.Contains(err.Error(), "trailing data") {
			t.Errorf("%q: got %v, want trailing data", in, err)
		}
	}
	var v struct {
		V int `json:"v"`
	}
	if err := DecodeStrict("x", []byte("{\"v\":1}\n \t"), 100, &v); err != nil {
		t.Errorf("trailing white space refused: %v", err)
	}
	if err := checkJSON("x", []byte(`}`)); err == nil {
		t.Error("checkJSON accepted a lone bracket")
	}
}
