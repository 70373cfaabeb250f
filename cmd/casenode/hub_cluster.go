package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/hub"
)

// clusterFlags are the cluster flags of 'casenode hub init'.
type clusterFlags struct {
	name, serverName, routes, listen string
}

func (f *clusterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "cluster", "", "make the hub the first server of a NATS cluster of this name (three servers, streams with three replicas)")
	fs.StringVar(&f.serverName, "server-name", "", "with --cluster: this server's name, e.g. hub-a")
	fs.StringVar(&f.routes, "routes", "", "with --cluster: the three servers' route URLs, comma-separated, each nats-route://HOST:PORT")
	fs.StringVar(&f.listen, "cluster-listen", "", "with --cluster: HOST:PORT this server takes routes on, e.g. 0.0.0.0:6222")
}

// section is the cluster section of hub.json the flags describe, or nil
// without --cluster.
func (f *clusterFlags) section(cmd string) (*config.HubCluster, error) {
	if f.name == "" {
		if f.serverName != "" || f.routes != "" || f.listen != "" {
			return nil, usageErrorf(cmd, "--server-name, --routes and --cluster-listen need --cluster")
		}
		return nil, nil
	}
	c := &config.HubCluster{Name: f.name, ServerName: f.serverName, Listen: f.listen}
	for r := range strings.SplitSeq(f.routes, ",") {
		if r = strings.TrimSpace(r); r != "" {
			c.Routes = append(c.Routes, r)
		}
	}
	h := config.DefaultHub()
	h.Network, h.Cluster = "x", *c
	if err := h.Validate(); err != nil {
		return nil, usageErrorf(cmd, "%v", err)
	}
	return c, nil
}

func runHubJoinCluster(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub join-cluster", "")
	var from, dir, name, listen, clusterListen string
	fs.StringVar(&from, "from", "", "the first server's hub directory, or a copy of its hub.json, roster.jws, users.json, secretariat/member.json and TLS files")
	fs.StringVar(&dir, "dir", "", "the new server's hub directory (created if missing)")
	fs.StringVar(&name, "server-name", "", "the new server's name in the cluster, e.g. hub-b")
	fs.StringVar(&listen, "listen", "", "HOST:PORT the new server takes nodes on (default: the first server's)")
	fs.StringVar(&clusterListen, "cluster-listen", "", "HOST:PORT the new server takes routes on (default: the first server's)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	for flagName, v := range map[string]string{"from": from, "dir": dir, "server-name": name} {
		if v == "" {
			return usageErrorf("hub join-cluster", "--%s is required", flagName)
		}
	}
	cfg, err := hub.JoinCluster(from, dir, hub.JoinClusterOptions{ServerName: name, Listen: listen, ClusterListen: clusterListen})
	if err != nil {
		return withHint(err, "--from must hold the first server's hub.json (made with 'casenode hub init --cluster …'), roster.jws, users.json and secretariat/member.json")
	}
	w := e.stdout
	fmt.Fprintf(w, "created server %s of cluster %s (network %s) in %s\n", cfg.Cluster.ServerName, cfg.Cluster.Name, cfg.Network, dir)
	fmt.Fprintf(w, "  clients: %s   routes: %s\n", cfg.Listen, cfg.Cluster.Listen)
	fmt.Fprintf(w, "  this server holds no secretariat key: it serves the rosters the first server signs and publishes\n")
	fmt.Fprintf(w, "next: start the three servers with 'casenode hub run --dir DIR' on each (two must run before the hub takes messages)\n")
	fmt.Fprintf(w, "configuration: %s\n", filepath.Join(dir, config.HubFile))
	return nil
}
