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
// unless the binary's name was casenode). The attachment scenario (a file
// of 8 MiB at this size, 1 GiB in the full bench) reports its rate as a
// ratio to raw age encryption and JetStream storage of the same bytes, and
// the peak resident memory of the hub, the sender and the receiver.
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
			Name    string             `json:"name"`
			Ratio   float64            `json:"ratio"`
			RatioTo string             `json:"ratio_to"`
			Values  map[string]float64 `json:"values"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("bench.json: %v", err)
	}
	footprint, attachment := false, false
	for _, r := range rep.Scenarios {
		switch r.Name {
		case "footprint":
			footprint = true
			if r.Values["node_rss_mb"] <= 0 || r.Values["hub_rss_mb"] <= 0 {
				t.Errorf("footprint without resident sizes: %v", r.Values)
			}
		case "attachment":
			attachment = true
			if r.Ratio <= 0 || r.RatioTo != "raw age encryption + JetStream storage" {
				t.Errorf("the attachment scenario's ratio: %v to %q", r.Ratio, r.RatioTo)
			}
			for _, k := range []string{"hub_peak_rss_mb", "sender_peak_rss_mb", "receiver_peak_rss_mb"} {
				if r.Values[k] <= 0 {
					t.Errorf("the attachment scenario has no %s: %v", k, r.Values)
				}
			}
		}
	}
	if !footprint {
		t.Errorf("no footprint scenario in the report of a binary named %s:\n%s", filepath.Base(renamed), log)
	}
	if !attachment {
		t.Errorf("no attachment scenario in the report:\n%s", log)
	}
}
