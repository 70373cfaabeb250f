package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCheckJSON holds the positions checkJSON names for the mistakes
// people make in a body file.
func TestCheckJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"{\"v\": 1}\n", ""},
		{"{\n  \"v\": 1,\n  \"title\" \"x\"\n}", "line 3, column 11: invalid character '\"' after object key"},
		{"{\n  \"v\": 1,\n", "line 3, column 1: the file ends in the middle of a JSON value"},
		{"{}\n{}", "line 2, column 1: expected the end of the file after one JSON value"},
		{"  \n", "empty: expected a JSON object"},
		{"{\"a\": tru}", "line 1, column 10: invalid character '}' in literal true"},
	} {
		err := checkJSON([]byte(c.in))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%q: got %v, want %s", c.in, err, c.want)
		}
	}
}

// FuzzCheckJSON: checkJSON accepts exactly what encoding/json calls valid,
// and never names a position outside the input.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"v":1}`, "{\n\"a\" 1}", "[1,", "{}{}", "", "\n\n}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := checkJSON(data)
		if (err == nil) != json.Valid(data) {
			t.Fatalf("checkJSON(%q) = %v, json.Valid = %v", data, err, json.Valid(data))
		}
		for off := int64(-1); off <= int64(len(data))+1; off++ {
			line, col := lineCol(data, off)
			if line < 1 || col < 1 || col > len(data)+1 {
				t.Fatalf("lineCol(%q, %d) = %d, %d", data, off, line, col)
			}
		}
	})
}
