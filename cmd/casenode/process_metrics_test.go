package main

import (
	"io"
	"net/http"
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
	addr := freeAddr(t)
	setNodeConfig(t, dir, "metrics", map[string]any{"listen": addr})
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
