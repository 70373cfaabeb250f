package main

import (
	"io"
	"log/slog"
)

// newLogger returns the logger of a long-running command (run, hub run):
// text for people or JSON for machines (log_format), with the same
// fields either way.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	o := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}
