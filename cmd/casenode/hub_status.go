package main

import (
	"context"
	"fmt"
	"time"

	"github.com/casenode/casenode/node/hub"
)

func runHubStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub status", "")
	var d hubDirFlags
	d.register(fs, false)
	url := fs.String("hub", "", "the running hub's URL (any server of a clustered hub), if not hub.json's listen address on this machine")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := d.check("hub status"); err != nil {
		return err
	}
	nc, cfg, err := hub.ConnectAdminDir(d.dir, *url)
	if err != nil {
		return withHint(hubDirHint(err, d.dir), "the hub must be running ('casenode hub run --dir %s'); --dir is the first server's directory, which holds admin.creds", d.dir)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	states, err := hub.ClusterStatus(ctx, nc)
	if err != nil {
		return withHint(fmt.Errorf("read the hub's streams: %w", err), "a clustered hub answers once two of its servers run and are routed to each other")
	}
	behind := 0
	for _, s := range states {
		mark := "ok  "
		if !s.Safe() {
			mark = "WAIT"
			behind++
		}
		fmt.Fprintf(e.stdout, "%s %s\n", mark, s.String())
	}
	if behind > 0 {
		return withHint(fmt.Errorf("%d of %d streams and consumers are not current on all their servers", behind, len(states)),
			"do not stop another server yet: run 'casenode hub status' again until it says every replica is current")
	}
	if cfg.Cluster.Enabled() {
		fmt.Fprintln(e.stdout, "every replica is current: one server may be stopped or restarted")
	} else {
		fmt.Fprintln(e.stdout, "the hub runs alone: its streams are current")
	}
	return nil
}
