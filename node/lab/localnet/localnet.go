// Package localnet builds a whole casenode network on one machine: a hub on
// a loopback port and the agencies of the network, each with its own
// directory, admitted by the secretariat, joined and, on demand, running.
// It is what `casenode demo` and `casenode bench` run, and the directory it
// builds is the same as the one an operator and the agencies would make with
// 'casenode hub init', 'member add', 'init' and 'join'.
package localnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

// Agency describes one member to create.
type Agency struct {
	ID, Name, Country string
}

// Options shape a network.
type Options struct {
	// Network is the network id.
	Network string
	// Country is the secretariat's country.
	Country string
	// Kind is the recipient kind; empty means post-quantum hybrid.
	Kind protocol.RecipientKind
	// Listen is the hub's address; empty means a random loopback port.
	Listen string
	// Logger returns the logger of the hub ("hub") or of an agency's node;
	// nil discards every log.
	Logger func(name string) *slog.Logger
	// Node adjusts each node's options.
	Node func(agency string, o *agency.Options)
	// ResendTimeout is written into each node's configuration; zero keeps
	// the default.
	ResendTimeout time.Duration
	// Hub adjusts the hub's hub.json before it first starts (the bench
	// lifts the member limits: it measures the hub, not them).
	Hub func(*config.Hub)
	// HubAddr, if set, gives the address an agency's node dials for the
	// hub at hubAddr, as written into its node.json: a proxy in front of
	// the hub, to measure or degrade the agency's link.
	HubAddr func(agency, hubAddr string) string
	// SecretariatPassphrase, if set, encrypts the secretariat's key with
	// it (at a low work factor: a test's), as an operator's would be.
	SecretariatPassphrase []byte
	// Servers is the number of the hub's servers: 0 or 1 for a hub that
	// runs alone, 3 for a cluster (hub/ signs the roster, hub-b/ and
	// hub-c/ are made from it with hub.JoinCluster).
	Servers int
	// NoStart leaves the hub stopped after Create (StartHub or
	// StartServer start it).
	NoStart bool
	// API makes Start also serve each node's local API on its Unix socket
	// (api.sock in the agency's directory), as 'casenode run' does, so that
	// the casenode commands can talk to the node.
	API bool
}

// Net is a network on this machine.
type Net struct {
	// Dir holds the hub's directory (hub/) and one per agency.
	Dir string
	// Network is the network id.
	Network string
	// SecretariatCard is the secretariat's member card.
	SecretariatCard *protocol.MemberCard

	o  Options
	mu sync.Mutex
	// hubs are the running servers (nil when stopped), listens their
	// client addresses, in the order of ServerDir.
	hubs    []*hub.Hub
	listens []string
	nodes   map[string]*running
	ids     map[string]*identity.Identity
}

type running struct {
	node   *agency.Node
	cancel context.CancelFunc
	done   chan error
	// api is the result of the API server, or nil without one.
	api chan error
}

// HubDir returns the hub's directory.
func (n *Net) HubDir() string { return filepath.Join(n.Dir, "hub") }

// AgencyDir returns an agency's directory.
func (n *Net) AgencyDir(agency string) string { return filepath.Join(n.Dir, agency) }

// Create initialises the hub in dir/hub, starts it, and creates, admits and
// joins every agency (their nodes are not started).
func Create(ctx context.Context, dir string, o Options, agencies ...Agency) (*Net, error) {
	if o.Kind == "" {
		o.Kind = protocol.KindHybrid
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Country == "" {
		o.Country = "SN"
	}
	n := &Net{Dir: dir, Network: o.Network, o: o, nodes: map[string]*running{}, ids: map[string]*identity.Identity{}}
	if err := n.createHub(); err != nil {
		return nil, err
	}
	if !o.NoStart {
		if err := n.StartHub(ctx); err != nil {
			return nil, err
		}
	}
	if err := n.Admit(ctx, agencies...); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// Admit creates the agencies' identities, admits them to the roster, joins
// them, and has the running hub take the new roster.
func (n *Net) Admit(ctx context.Context, agencies ...Agency) error {
	sec, err := hub.OpenSecretariat(n.HubDir(), func() ([]byte, error) { return n.o.SecretariatPassphrase, nil })
	if err != nil {
		return err
	}
	defer sec.Close()
	for _, a := range agencies {
		id, err := identity.Generate(n.Network, a.ID, a.Name, a.Country, n.o.Kind, time.Now())
		if err != nil {
			return err
		}
		if err := id.Save(n.AgencyDir(a.ID), nil); err != nil {
			return err
		}
		creds := filepath.Join(n.HubDir(), hub.CredsDir, a.ID+".creds")
		if _, err := sec.Add(id.Card, creds, time.Now()); err != nil {
			return fmt.Errorf("admit %s: %w", a.ID, err)
		}
		if err := n.join(a.ID, creds); err != nil {
			return fmt.Errorf("join %s: %w", a.ID, err)
		}
		n.mu.Lock()
		n.ids[a.ID] = id
		n.mu.Unlock()
	}
	sec.Close()
	n.mu.Lock()
	h := n.hubs[0]
	n.mu.Unlock()
	if h == nil {
		return nil
	}
	if err := h.Reload(ctx); err != nil {
		return err
	}
	return n.waitFollowed(ctx, h.Roster().Roster.Serial)
}

// join writes the agency's node.json and credentials with agency.Join,
// as 'casenode join' does.
func (n *Net) join(id, creds string) error {
	n.mu.Lock()
	var urls []string
	for _, addr := range n.listens {
		if n.o.HubAddr != nil {
			addr = n.o.HubAddr(id, addr)
		}
		urls = append(urls, "nats://"+addr)
	}
	n.mu.Unlock()
	key := n.SecretariatCard.SigningKey
	_, err := agency.Join(n.AgencyDir(id), agency.JoinOptions{HubURLs: urls, SecretariatKey: &key,
		Creds: creds, ResendTimeout: n.o.ResendTimeout, Now: time.Now()})
	return err
}

func (n *Net) logger(name string) *slog.Logger {
	if n.o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.o.Logger(name)
}

// StartHub starts every server of the hub that is not running, at once
// (a cluster's servers need each other to start), on the same addresses
// as before if they ran already.
func (n *Net) StartHub(ctx context.Context) error {
	errs := make([]error, len(n.listens))
	var wg sync.WaitGroup
	for i := range n.listens {
		wg.Go(func() { errs[i] = n.StartServer(ctx, i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// StartServer starts the hub's server i, unless it runs.
func (n *Net) StartServer(ctx context.Context, i int) error {
	n.mu.Lock()
	if n.hubs[i] != nil {
		n.mu.Unlock()
		return nil
	}
	listen := n.listens[i]
	n.mu.Unlock()
	h, err := hub.Open(ctx, n.ServerDir(i), hub.Options{Listen: listen, Logger: n.logger(serverName(i)), PollInterval: time.Second})
	if err != nil {
		return fmt.Errorf("start hub: %w", err)
	}
	u, err := url.Parse(h.ClientURL())
	if err != nil {
		h.Close()
		return err
	}
	n.mu.Lock()
	n.hubs[i], n.listens[i] = h, u.Host
	n.mu.Unlock()
	return nil
}

// StopHub shuts every server of the hub down.
func (n *Net) StopHub() error {
	var errs []error
	for i := range n.listens {
		errs = append(errs, n.StopServer(i))
	}
	return errors.Join(errs...)
}

// Hub returns the hub's first server (the one that signs), or nil when
// it is stopped.
func (n *Net) Hub() *hub.Hub {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hubs[0]
}

// StopServer shuts the hub's server i down.
func (n *Net) StopServer(i int) error {
	n.mu.Lock()
	h := n.hubs[i]
	n.hubs[i] = nil
	n.mu.Unlock()
	if h == nil {
		return nil
	}
	return h.Close()
}

// HubURL returns the client URL of the hub's first server.
func (n *Net) HubURL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return "nats://" + n.listens[0]
}

// Start opens and runs an agency's node.
func (n *Net) Start(ctx context.Context, name string) (*agency.Node, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if r, ok := n.nodes[name]; ok {
		return r.node, nil
	}
	o := agency.Options{Logger: n.logger(name), ReconnectWait: 20 * time.Millisecond, MaxReconnectWait: 500 * time.Millisecond, RosterInterval: time.Second}
	if n.o.Node != nil {
		n.o.Node(name, &o)
	}
	nd, err := agency.Open(ctx, n.AgencyDir(name), o)
	if err != nil {
		return nil, fmt.Errorf("open node %s: %w", name, err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	r := &running{node: nd, cancel: cancel, done: make(chan error, 1)}
	if n.o.API {
		srv := api.NewServer(nd, o.Logger)
		if err := srv.Listen(); err != nil {
			cancel()
			nd.Close()
			return nil, fmt.Errorf("serve the API of node %s: %w", name, err)
		}
		r.api = make(chan error, 1)
		go func() { r.api <- srv.Serve(rctx) }()
	}
	go func() { r.done <- nd.Run(rctx) }()
	n.nodes[name] = r
	return nd, nil
}

// Node returns a running name's node, or nil.
func (n *Net) Node(agency string) *agency.Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	if r, ok := n.nodes[agency]; ok {
		return r.node
	}
	return nil
}

// Identity returns an agency's identity.
func (n *Net) Identity(agency string) *identity.Identity {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ids[agency]
}

// Stop stops and closes an agency's node.
func (n *Net) Stop(agency string) error {
	n.mu.Lock()
	r, ok := n.nodes[agency]
	delete(n.nodes, agency)
	n.mu.Unlock()
	if !ok {
		return nil
	}
	r.cancel()
	err := <-r.done
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if r.api != nil {
		err = errors.Join(err, <-r.api)
	}
	return errors.Join(err, r.node.Close())
}

// WaitReady waits until an agency's node is online with a roster of at
// least members members.
func (n *Net) WaitReady(ctx context.Context, agency string, members int) error {
	for {
		nd := n.Node(agency)
		if nd == nil {
			return fmt.Errorf("node %s is not running", agency)
		}
		st, err := nd.Status(ctx)
		if err == nil && st.Hub.State == "online" && st.Roster != nil && st.Roster.Members >= members {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s not ready: %w", agency, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Close stops every node and the hub.
func (n *Net) Close() error {
	n.mu.Lock()
	var agencies []string
	for a := range n.nodes {
		agencies = append(agencies, a)
	}
	n.mu.Unlock()
	var errs []error
	for _, a := range agencies {
		errs = append(errs, n.Stop(a))
	}
	errs = append(errs, n.StopHub())
	return errors.Join(errs...)
}

// editHub changes dir/hub.json.
func editHub(dir string, edit func(*config.Hub)) error {
	path := filepath.Join(dir, config.HubFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cfg, err := config.ParseHub(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	edit(cfg)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if data, err = cfg.Marshal(); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
