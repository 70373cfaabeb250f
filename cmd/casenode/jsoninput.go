package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// readJSONInput reads a JSON document with readInput and checks that it is
// one JSON value, naming the file, the line and the column of the first
// mistake and what was expected there.
func readJSONInput(e *env, path, what string, limit int, fix string) ([]byte, error) {
	data, err := readInput(e, path, what, limit)
	if err != nil {
		return nil, err
	}
	if err := checkJSON(data); err != nil {
		name := path
		if path == "-" {
			name = "standard input"
		}
		return nil, withHint(fmt.Errorf("%s %s: %w", what, name, err), "%s", fix)
	}
	return data, nil
}

// checkJSON checks that data is exactly one JSON value, and says where it
// is not.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v json.RawMessage
	err := dec.Decode(&v)
	if err == nil {
		end := dec.InputOffset()
		if _, err2 := dec.Token(); err2 != io.EOF {
			rest := data[end:]
			line, col := lineCol(data, end+int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n"))))
			return fmt.Errorf("line %d, column %d: expected the end of the file after one JSON value", line, col)
		}
		return nil
	}
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the wrong one included.
		line, col := lineCol(data, syn.Offset-1)
		return fmt.Errorf("line %d, column %d: %s", line, col, syn.Error())
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(data)) == 0:
		return errors.New("empty: expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		line, col := lineCol(data, int64(len(data)))
		return fmt.Errorf("line %d, column %d: the file ends in the middle of a JSON value (a missing } or ]?)", line, col)
	}
	return err
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
