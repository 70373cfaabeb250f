package config

import (
	"fmt"
	"net/url"
	"strconv"
)

// ClusterReplicas is how many copies a clustered hub keeps of its messages
// stream and buckets: a quorum of two servers must hold a message before
// the hub acknowledges it.
const ClusterReplicas = 3

// HubCluster is the "cluster" object of hub.json: it makes this hub one
// server of a NATS cluster. A hub without it runs alone.
type HubCluster struct {
	// Name is the cluster's name, the same on every server.
	Name string `json:"name,omitempty"`
	// ServerName is this server's name, different on every server and
	// never changed: JetStream knows its replicas by it.
	ServerName string `json:"server_name,omitempty"`
	// Listen is the HOST:PORT where this server takes the other servers'
	// routes.
	Listen string `json:"listen,omitempty"`
	// Routes are the other servers' route URLs, nats-route://HOST:PORT
	// (this server's own may be listed too: every server can have the same
	// list).
	Routes []string `json:"routes,omitempty"`
}

// Enabled says whether the hub is one server of a cluster.
func (c *HubCluster) Enabled() bool { return c.Name != "" }

// Replicas is how many copies the hub's streams have: ClusterReplicas in
// a cluster, 1 otherwise.
func (h *Hub) Replicas() int {
	if h.Cluster.Enabled() {
		return ClusterReplicas
	}
	return 1
}

// validate checks the cluster object of hub.json.
func (c *HubCluster) validate() error {
	if !c.Enabled() {
		if c.ServerName != "" || c.Listen != "" || len(c.Routes) > 0 {
			return fmt.Errorf("hub.cluster.name: must be set with server_name, listen and routes (or the whole cluster object left out)")
		}
		return nil
	}
	if !validClusterName(c.Name) {
		return fmt.Errorf("hub.cluster.name: %q must be 1 to 64 letters, digits, '-' or '_'", c.Name)
	}
	if !validClusterName(c.ServerName) {
		return fmt.Errorf("hub.cluster.server_name: %q must be 1 to 64 letters, digits, '-' or '_', e.g. hub-a", c.ServerName)
	}
	if err := checkListen("hub.cluster.listen", c.Listen); err != nil {
		return err
	}
	if len(c.Routes) < ClusterReplicas-1 {
		return fmt.Errorf("hub.cluster.routes: lists %d route(s); a cluster needs at least the %d other servers, e.g. [\"nats-route://hub-b.example.org:6222\", \"nats-route://hub-c.example.org:6222\"]", len(c.Routes), ClusterReplicas-1)
	}
	for i, r := range c.Routes {
		u, err := url.Parse(r)
		if err != nil || u.Scheme != "nats-route" || u.Host == "" || u.Path != "" || u.User != nil {
			return fmt.Errorf("hub.cluster.routes[%d]: %q must be nats-route://HOST:PORT", i, r)
		}
		if p, err := strconv.Atoi(u.Port()); err != nil || p <= 0 || p > 65535 {
			return fmt.Errorf("hub.cluster.routes[%d]: %q needs a port from 1 to 65535", i, r)
		}
	}
	return nil
}

// validClusterName checks a cluster or server name: it goes into NATS
// configuration text and JetStream's placement, so only plain characters.
func validClusterName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
