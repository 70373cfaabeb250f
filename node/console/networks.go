package console

import (
	"context"
	"sync"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/api"
)

// The network bar: an agency in two networks runs one node per network
// (docs/ARCHITECTURE.md, "Networks of networks"), each with its console.
// Every page of each console names its network and lists the others
// (console.networks in node.json), each with its unread messages and
// whether its node runs, read from that node's API socket, so that one
// look tells a prosecutor where new messages wait.
const (
	// networkTTL is how long a network's status is shown before it is
	// read again: at most one read per network every networkTTL, whatever
	// the number of pages served.
	networkTTL = 15 * time.Second
	// networkTimeout bounds one read, so that a stuck node slows no page
	// for long.
	networkTimeout = 500 * time.Millisecond
)

// networkActor is the actor the console names when it reads another
// node's status.
const networkActor = "console:networks"

// networkState is another network's node as the bar shows it.
type networkState struct {
	Network string
	URL     string
	// Known says whether its status was read (it has a socket and
	// answered); Running and Unread are from that status.
	Known   bool
	Running bool
	Unread  int64
}

// networks reads and keeps the other networks' states.
type networks struct {
	cfg []config.ConsoleNetwork
	now func() time.Time

	mu    sync.Mutex
	state []networkState
	read  time.Time
}

func newNetworks(cfg []config.ConsoleNetwork, now func() time.Time) *networks {
	return &networks{cfg: cfg, now: now}
}

// states returns the networks' states, read again when older than
// networkTTL. The reads run one after another under the lock, so that
// pages served meanwhile wait for them instead of reading again.
func (ns *networks) states(ctx context.Context) []networkState {
	if len(ns.cfg) == 0 {
		return nil
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.state != nil && ns.now().Sub(ns.read) < networkTTL {
		return ns.state
	}
	out := make([]networkState, len(ns.cfg))
	for i, c := range ns.cfg {
		out[i] = networkState{Network: c.Network, URL: c.URL}
		if c.Socket == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, networkTimeout)
		st, err := api.NewUnixClient(c.Socket, networkActor).Status(ctx)
		cancel()
		if err != nil || st.Network != c.Network {
			// Not running, not reachable, or another network's node
			// at that socket: shown as unknown, never as this one.
			continue
		}
		out[i].Known, out[i].Running, out[i].Unread = true, st.Running, st.Inbox.Unread
	}
	ns.state, ns.read = out, ns.now()
	return out
}
