package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBenchFootprintUnderAnyName runs the quick bench from a binary that is
// not named casenode: the footprint scenario still runs (it was skipped
// unless the binary's name was casenode).
func TestBenchFootprintUnderAnyName(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	exe := procBuild(t, dir)
	renamed := filepath.Join(dir, "casenode-1.4-linux")
	if err := os.Rename(exe, renamed); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bench.json")
	cmd := exec.Command(renamed, "bench", "--quick", "--json", out)
	cmd.Dir = dir
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench --quick: %v\n%s", err, log)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Scenarios []struct {
			Name   string             `json:"name"`
			Values map[string]float64 `json:"values"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("bench.json: %v", err)
	}
	for _, r := range rep.Scenarios {
		if r.Name == "footprint" {
			if r.Values["node_rss_mb"] <= 0 || r.Values["hub_rss_mb"] <= 0 {
				t.Errorf("footprint without resident sizes: %v", r.Values)
			}
			return
		}
	}
	t.Errorf("no footprint scenario in the report of a binary named %s:\n%s", filepath.Base(renamed), log)
}
