package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
)

// testMetricsRun: 'casenode run' with metrics.listen in node.json serves
// /metrics with the node's figures and /readyz, as a process.
func testMetricsRun(t *testing.T, exe string) {
	pn := newProcNet(t, exe, procSender, procReceiver)
	dir := pn.ln.AgencyDir(procSender)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	path := filepath.Join(dir, "node.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["metrics"] = map[string]any{"listen": addr}
	if b, err = json.MarshalIndent(cfg, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	pn.startHub()
	pn.startNode(procSender)
	pn.startNode(procReceiver)
	pn.waitOnline(procSender)
	pn.waitOnline(procReceiver)
	get := func(p string) (int, string) {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	poll.Until(t, time.Minute, "/readyz says ready", func() bool {
		code, _ := get("/readyz")
		return code == http.StatusOK
	})
	ids := procSend(pn.client(procSender), procReceiver, 5).wait(t)
	sent := regexp.MustCompile(`(?m)^casenode_node_messages_sent_total\{type="case\.lead"\} ([0-9]+)$`)
	poll.Until(t, time.Minute, "five sent messages counted", func() bool {
		_, body := get("/metrics")
		m := sent.FindStringSubmatch(body)
		return m != nil && m[1] == strconv.Itoa(len(ids))
	})
	_, body := get("/metrics")
	for _, want := range []string{`casenode_node_ready 1`, `casenode_node_hub_connected 1`, `process_resident_memory_bytes `, `casenode_node_commit_duration_seconds_count{kind="send"} `} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want)).MatchString(body) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
