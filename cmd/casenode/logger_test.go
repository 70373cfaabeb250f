package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestLogFormats: log_format json writes one JSON object per line, text
// writes key=value pairs, both with the same fields, and the level holds
// back what is below it.
func TestLogFormats(t *testing.T) {
	var text, js bytes.Buffer
	for _, l := range []*slog.Logger{newLogger(&text, slog.LevelInfo, "text"), newLogger(&js, slog.LevelInfo, "json")} {
		l.Debug("not shown")
		l.Info("message stored", "agency", "gh-ag-accra", "copies", 3)
	}
	var rec map[string]any
	if err := json.Unmarshal(js.Bytes(), &rec); err != nil {
		t.Fatalf("json log line %q: %v", js.String(), err)
	}
	if rec["msg"] != "message stored" || rec["agency"] != "gh-ag-accra" || rec["copies"] != float64(3) || rec["level"] != "INFO" {
		t.Errorf("json record %v", rec)
	}
	line := text.String()
	for _, kv := range []string{`msg="message stored"`, "agency=gh-ag-accra", "copies=3", "level=INFO"} {
		if !strings.Contains(line, kv) {
			t.Errorf("text line %q lacks %s", line, kv)
		}
	}
	if strings.Contains(line+js.String(), "not shown") || strings.Count(line, "\n") != 1 || strings.Count(js.String(), "\n") != 1 {
		t.Errorf("debug record logged at info level: %q %q", line, js.String())
	}
}
