package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/lab/bench"
	"github.com/casenode/casenode/protocol"
)

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench", "")
	jsonOut := fs.String("json", "", "also write the figures as JSON to this file")
	dir := fs.String("dir", "", "work directory to keep (default: a temporary one, removed after)")
	quick := fs.Bool("quick", false, "smoke-sized run (seconds, classic keys): checks that every scenario works, measures nothing")
	classic := fs.Bool("classic", false, "use classic X25519 keys instead of post-quantum hybrid ones")
	messages := fs.Int("messages", 0, "messages in the floor and pipeline scenarios (default 10000)")
	agencies := fs.Int("agencies", 0, "agencies in the fan-in scenario (default 100)")
	perAgency := fs.Int("per-agency", 0, "messages each agency sends in the fan-in scenario (default 100)")
	footprint := fs.Bool("footprint", true, "run the footprint and attachment scenarios (they start this binary as hub and node processes)")
	cluster := fs.Bool("cluster", true, "run the cluster scenario: the pipeline through a hub of three servers on this machine, as a ratio to one server's (with --quick only when given)")
	attachSize := fs.Int64("attach-size", 0, "bytes of the attachment scenario's file (default 1 GiB, 8 MiB with --quick)")
	repeat := fs.Int("repeat", 1, "run every scenario this many times, one repetition after the other, and show each figure's median and range (targets are judged on the medians)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	work := *dir
	if work == "" {
		tmp, err := os.MkdirTemp("", "casenode-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	c := bench.DefaultConfig(work)
	if *quick {
		c = bench.QuickConfig(work)
	}
	if *classic {
		c.Kind = protocol.KindClassic
	}
	c.Cluster = *cluster
	if *quick {
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "cluster" })
		c.Cluster = *cluster && given
	}
	for _, o := range []struct {
		v   int
		dst *int
	}{{*messages, &c.Messages}, {*agencies, &c.Agencies}, {*perAgency, &c.PerAgency}} {
		if o.v > 0 {
			*o.dst = o.v
		}
	}
	if *attachSize > 0 {
		c.AttachSize = *attachSize
	}
	if c.Agencies < 2 {
		return usageErrorf("bench", "--agencies: at least 2")
	}
	if *repeat < 1 {
		return usageErrorf("bench", "--repeat: at least 1")
	}
	c.Repeat, c.KeepDirs = *repeat, *dir != ""
	if *footprint {
		exe, err := casenodeBinary(ctx)
		if err != nil {
			return &hint.Error{Msg: "the footprint scenario starts this binary as hub and node processes: " + err.Error(), Fix: "run 'casenode bench' from the built binary (make build), or pass --footprint=false"}
		}
		c.Exe = exe
	}
	c.Log = e.stderr
	rep, err := bench.Run(ctx, c)
	if err != nil {
		return err
	}
	rep.WriteTable(e.stdout)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// casenodeBinary returns the path of the running binary when it is
// casenode, whatever its name: it asks the binary for its version. A test
// binary that embeds the commands answers otherwise.
func casenodeBinary(ctx context.Context) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the running binary: %w", err)
	}
	if strings.HasSuffix(exe, ".test") {
		// A go test binary would run its tests, not answer.
		return "", fmt.Errorf("%s is a test binary", exe)
	}
	out, err := exec.CommandContext(ctx, exe, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "casenode ") {
		return "", fmt.Errorf("%s does not answer 'version' as casenode does", exe)
	}
	return exe, nil
}
