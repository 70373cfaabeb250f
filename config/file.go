package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/casenode/casenode/protocol"
)

// MaxFileSize bounds a configuration file.
const MaxFileSize = 64 << 10

// readFile reads a configuration file of at most MaxFileSize bytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// decode decodes data strictly over v, which holds the defaults.
func decode(name string, data []byte, v any) error {
	return protocol.DecodeStrict(name, data, MaxFileSize, v)
}

// resolve returns p relative to dir unless it is empty or absolute.
func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// checkLogLevel checks a log_level field.
func checkLogLevel(field, level string) error {
	switch level {
	case "debug", "info", "warn", "error":
		return nil
	}
	return fmt.Errorf("%s: %q must be one of debug, info, warn, error", field, level)
}

// checkLogFormat checks a log_format field.
func checkLogFormat(field, format string) error {
	switch format {
	case "text", "json":
		return nil
	}
	return fmt.Errorf("%s: %q must be text or json", field, format)
}

// checkPath checks a path field that must be set.
func checkPath(field, p string) error {
	if strings.TrimSpace(p) == "" {
		return fmt.Errorf("%s: must be set", field)
	}
	if strings.ContainsRune(p, 0) {
		return fmt.Errorf("%s: must not contain a NUL byte", field)
	}
	return nil
}
