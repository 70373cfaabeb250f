package localnet

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/hub"
)

// ServerDir returns the directory of the hub's server i: hub/ for the
// first (the one that signs the roster), hub-b/, hub-c/… for the others.
func (n *Net) ServerDir(i int) string {
	if i == 0 {
		return n.HubDir()
	}
	return filepath.Join(n.Dir, serverName(i))
}

// Servers returns the number of the hub's servers.
func (n *Net) Servers() int { return len(n.listens) }

// serverName is the cluster name of server i: hub-a, hub-b…
func serverName(i int) string { return "hub-" + string(rune('a'+i)) }

// createHub initialises the hub's directory, and those of the other
// servers of a cluster from it.
func (n *Net) createHub() error {
	o := n.o
	servers := max(o.Servers, 1)
	var cluster *config.HubCluster
	listens := []string{o.Listen}
	var routeListens []string
	if servers > 1 {
		// The servers need each other's addresses before they start: take
		// free loopback ports now.
		ports, err := freePorts(2 * servers)
		if err != nil {
			return err
		}
		listens = listens[:0]
		cluster = &config.HubCluster{Name: "casenode-" + o.Network, ServerName: serverName(0)}
		for i := range servers {
			listens = append(listens, fmt.Sprintf("127.0.0.1:%d", ports[i]))
			routeListens = append(routeListens, fmt.Sprintf("127.0.0.1:%d", ports[servers+i]))
			cluster.Routes = append(cluster.Routes, "nats-route://"+routeListens[i])
		}
		cluster.Listen = routeListens[0]
	}
	io := hub.InitOptions{Network: o.Network, Country: o.Country, Kind: o.Kind, Listen: listens[0], Now: time.Now(), Cluster: cluster}
	if o.SecretariatPassphrase != nil {
		io.Passphrase, io.WorkFactor = o.SecretariatPassphrase, 10
	}
	res, err := hub.Init(n.HubDir(), io)
	if err != nil {
		return fmt.Errorf("create hub: %w", err)
	}
	n.SecretariatCard = res.Card
	if o.Hub != nil {
		if err := editHub(n.HubDir(), o.Hub); err != nil {
			return err
		}
	}
	for i := 1; i < servers; i++ {
		if _, err := hub.JoinCluster(n.HubDir(), n.ServerDir(i), hub.JoinClusterOptions{ServerName: serverName(i), Listen: listens[i], ClusterListen: routeListens[i]}); err != nil {
			return fmt.Errorf("create hub server %s: %w", serverName(i), err)
		}
	}
	n.listens = listens
	n.hubs = make([]*hub.Hub, servers)
	return nil
}

// freePorts returns count loopback ports free at the time of the call.
func freePorts(count int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range count {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// hub returns the hub's server i, or nil when it is stopped.
func (n *Net) hub(i int) *hub.Hub {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hubs[i]
}

// waitFollowed waits until every running server of the hub has the roster
// of serial in force: until then, a server that has not followed it yet
// refuses the new members' connections and the publications to them.
func (n *Net) waitFollowed(ctx context.Context, serial uint64) error {
	for {
		behind := ""
		for i := range n.Servers() {
			if h := n.hub(i); h != nil && h.Roster().Roster.Serial < serial {
				behind = serverName(i)
			}
		}
		if behind == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("hub server %s has not taken roster serial %d: %w", behind, serial, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
