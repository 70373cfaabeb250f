package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/casenode/casenode/internal/durable"
)

// readInput reads a file of at most limit bytes, or standard input for "-".
func readInput(e *env, path, what string, limit int) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = e.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", what, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s %s is over the limit of %d bytes", what, path, limit)
	}
	return data, nil
}

// writeNew writes data to a new file, refusing to replace an existing one,
// and syncs it; "-" writes to standard output.
func writeNew(e *env, path string, data []byte, mode fs.FileMode) error {
	if path == "-" {
		_, err := e.stdout.Write(data)
		return err
	}
	err := writeFileExclusive(path, data, mode)
	if errors.Is(err, fs.ErrExist) {
		return withHint(fmt.Errorf("%s already exists", path), "choose another --out, or remove the file first")
	}
	return err
}

// writeFileExclusive creates path with O_EXCL and writes data durably.
func writeFileExclusive(path string, data []byte, mode fs.FileMode) error {
	return durable.WriteNew(path, data, mode)
}
