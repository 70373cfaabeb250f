package hub

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// Options adjust how a hub runs. The zero value is the configuration file's
// settings.
type Options struct {
	// Listen, if set, replaces hub.json's listen address.
	Listen string
	// Logger receives the hub's log and the NATS server's; nil discards both.
	Logger *slog.Logger
	// PollInterval is how often Run looks for a changed roster.jws or
	// users.json; 0 means DefaultPollInterval.
	PollInterval time.Duration
}

// DefaultPollInterval is how often a running hub checks its directory for a
// roster change.
const DefaultPollInterval = 2 * time.Second

// startTimeout bounds how long Open waits for the server and JetStream.
const startTimeout = 30 * time.Second

// Hub is a running hub: the embedded NATS server with JetStream, configured
// from a hub directory.
type Hub struct {
	dir    string
	cfg    *config.Hub
	log    *slog.Logger
	slog   *serverLogger
	poll   time.Duration
	card   *protocol.MemberCard
	srv    *server.Server
	nc     *nats.Conn
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	ingest *ingest
	// positions saves the inbox consumers' floors; nil in a cluster.
	positions *positionSaver
	attach    *attachService
	// witness cosigns the members' checkpoints (witness.go).
	witness *witnessService
	listen  string
	// tls is the server's TLS configuration, nil for plain TCP; built once
	// per start.
	tls *tls.Config
	// internal are the hub's own NATS users, made afresh at each start and
	// allowed only in-process connections.
	internal  internalKeys
	answers   *nats.Conn // the ingest's answering connection
	storing   *nats.Conn // the ingest's storing connection
	quotas    *quotas
	guard     *rosterGuard
	unlockRun func()
	// own is the hub's own audit log (ownlog.go); stats the network's
	// figures (stats.go), both for the secretariat's console.
	own   *auditlog.Log
	stats *stats
	// started is when Open started the hub.
	started time.Time
	// signer says whether this server holds the secretariat's key and
	// publishes roster.jws; in a cluster the other servers follow the
	// roster bucket (follower).
	signer   bool
	usersKV  jetstream.KeyValue // nil unless clustered
	follower *rosterFollower
	// control serves the control socket (control.go); nil when the
	// directory's path is too long for one.
	control *controlServer

	// auth decides who may connect (authenticator.go).
	auth *authenticator

	mu     sync.Mutex // serializes reloads and guards the fields below
	roster *SignedRoster
	users  *userKeys
	stamp  string
	// accounts are the members' accounts added to the server (addAccount).
	accounts map[string]*server.Account
	// admitted says whether the members may connect: a clustered server
	// lets them in only once its ingest runs (admitMembers).
	admitted bool
}

// Open starts the hub of directory dir: it loads and verifies the roster,
// starts the NATS server, creates or updates the stream, the roster bucket
// and the inbox consumers, starts the ingest, publishes the roster, and
// only then opens its client port to the nodes. Close stops it.
func Open(ctx context.Context, dir string, o Options) (*Hub, error) {
	cfg, err := config.LoadHub(dir)
	if err != nil {
		return nil, err
	}
	if o.Listen != "" {
		cfg.Listen = o.Listen
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	h := &Hub{dir: dir, cfg: cfg, log: o.Logger, poll: o.PollInterval, listen: cfg.Listen, started: time.Now()}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if h.poll <= 0 {
		h.poll = DefaultPollInterval
	}
	if h.unlockRun, err = lockRun(dir); err != nil {
		return nil, err
	}
	if err := h.open(ctx); err != nil {
		h.Close()
		return nil, err
	}
	if err := h.serveControl(); err != nil {
		h.Close()
		return nil, err
	}
	r := h.roster.Roster
	switch left := time.Until(r.Expires.Time); {
	case left <= 0:
		h.log.Error("the roster has expired: nodes refuse it", "serial", r.Serial, "expires", r.Expires.String(), "fix", "casenode hub renew --dir "+dir)
	case left < 30*24*time.Hour:
		h.log.Warn("the roster expires soon", "serial", r.Serial, "expires", r.Expires.String(), "fix", "casenode hub renew --dir "+dir)
	}
	h.warnCertExpiry(dir)
	h.log.Info("hub listening", "url", h.ClientURL(), "network", cfg.Network, "roster_serial", r.Serial, "active_members", len(r.Active()), "tls", tlsMode(&cfg.TLS))
	if !cfg.TLS.Enabled() && !config.Loopback(h.listen) {
		h.log.Warn("the hub serves plain TCP beyond this machine: routing metadata and NATS authentication travel in clear", "listen", h.listen, "fix", "casenode hub tls --dir "+dir+" --tls-host NAME, or reach the hub only through a VPN")
	}
	return h, nil
}

// open loads the hub directory, starts the server and sets up JetStream.
func (h *Hub) open(ctx context.Context) error {
	var err error
	if h.card, err = secretariatCard(h.dir); err != nil {
		return err
	}
	h.stamp = h.fileStamp()
	if h.roster, err = loadRoster(h.dir, h.cfg.Network); err != nil {
		return err
	}
	if h.own, err = openOwnLog(h.dir, h.card); err != nil {
		return err
	}
	if h.users, err = loadUsers(h.dir); err != nil {
		return err
	}
	if h.tls, err = serverTLS(&h.cfg.TLS); err != nil {
		return err
	}
	if h.internal, err = newInternalKeys(); err != nil {
		return err
	}
	h.auth = &authenticator{}
	opts, err := serverOptions(h.cfg, h.listen, h.tls, h.auth)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(h.cfg.StoreDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", h.cfg.StoreDir, err)
	}
	if err := moveGlobalStore(h.cfg.StoreDir); err != nil {
		return err
	}
	if h.srv, err = server.NewServer(opts); err != nil {
		return fmt.Errorf("configure NATS server: %w", err)
	}
	h.slog = &serverLogger{log: h.log}
	h.srv.SetLogger(h.slog, h.log.Enabled(ctx, slog.LevelDebug), false)
	// A hub that runs alone opens its client listener only at the end
	// (listenClients): its members' users are in from the start. A
	// clustered server opens it at once, and admits the members once its
	// ingest runs (admitMembers).
	h.admitted = !h.cfg.Cluster.Enabled()
	if err := h.setGrants(h.roster.Roster, h.users); err != nil {
		return err
	}
	h.srv.Start()
	if !h.srv.ReadyForConnections(startTimeout) {
		if f := h.slog.lastFatal(); f != "" {
			return fmt.Errorf("start NATS server on %s: %s", h.listen, f)
		}
		return fmt.Errorf("start NATS server on %s: not ready after %s", h.listen, startTimeout)
	}
	if h.nc, err = h.connect(h.internal.service, "casenode hub", serviceInbox); err != nil {
		return err
	}
	if h.storing, err = h.connect(h.internal.ingest, "casenode hub ingest", ingestInbox); err != nil {
		return err
	}
	if h.answers, err = h.connect(h.internal.answer, "casenode hub answers", ingestInbox); err != nil {
		return err
	}
	if h.js, err = jetstream.New(h.nc); err != nil {
		return err
	}
	if err := h.restoreSnapshots(ctx); err != nil {
		return err
	}
	// Each step has startTimeout of its own: on a cluster each creates
	// replicated streams, buckets or consumers whose groups elect their
	// leaders in turn, and a fresh three-server hub on a loaded machine
	// took longer than startTimeout for them all (issue #18). A server
	// without a quorum still stops after the first.
	step := func(f func(context.Context) error) error {
		ctx, cancel := context.WithTimeout(ctx, startTimeout)
		defer cancel()
		return f(ctx)
	}
	err = step(func(ctx context.Context) (err error) {
		h.kv, h.usersKV, err = setupJetStream(ctx, h.js, h.cfg)
		return err
	})
	if err != nil {
		return err
	}
	var positions jetstream.KeyValue
	err = step(func(ctx context.Context) (err error) {
		positions, err = setupPositions(ctx, h.js, h.cfg.Network, h.cfg.Cluster.Enabled())
		return err
	})
	if err != nil {
		return err
	}
	err = step(func(ctx context.Context) error {
		return retryClustered(ctx, h.cfg, func(ctx context.Context) error { return ensureConsumers(ctx, h.js, h.roster.Roster) })
	})
	if err != nil {
		return err
	}
	if positions != nil {
		h.positions = startPositions(h.js, positions, h.cfg.Network, h.log)
	}
	// The refusals of the ingest and of the attachment service, per member.
	counts := newMemberCounts()
	err = step(func(ctx context.Context) (err error) {
		h.attach, err = startAttach(ctx, h.nc, h.js, h.cfg, counts, h.log)
		return err
	})
	if err != nil {
		return err
	}
	var syncer *blockSyncer
	if h.cfg.Sync == config.SyncAlways && !h.cfg.Cluster.Enabled() {
		if syncer, err = newBlockSyncer(h.cfg.StoreDir, protocol.StreamName(h.cfg.Network)); err != nil {
			return err
		}
	}
	h.quotas = newQuotas(h.cfg.MemberLimits, time.Duration(h.cfg.Retention), h.cfg.MaxPayload+config.HeaderAllowance, h.log)
	if err := step(h.countStored); err != nil {
		return err
	}
	if h.ingest, err = startIngest(h.storing, h.answers, h.cfg.Network, syncer, h.quotas, counts, activeSet(h.roster.Roster), h.log); err != nil {
		return err
	}
	h.ingest.server = h.cfg.Cluster.ServerName
	if err := step(h.startRoster); err != nil {
		return err
	}
	if h.stats, err = startStats(h.dir, h.js, h.cfg.Network, h.Roster, h.log); err != nil {
		return err
	}
	err = step(func(ctx context.Context) (err error) {
		h.witness, err = h.startWitness(ctx)
		return err
	})
	if err != nil {
		return err
	}
	return h.listenClients()
}

// listenClients opens the client listener. The server starts without one
// (serverOptions), so that nodes connect only to a hub that can take
// their publications.
func (h *Hub) listenClients() error {
	// AcceptLoop returns once the listener accepts, or failed to listen.
	// A clustered server opened it at start (serverOptions), without the
	// members' users (startOptions): they come now.
	if h.cfg.Cluster.Enabled() {
		return h.admitMembers()
	}
	h.srv.AcceptLoop(make(chan struct{}))
	if h.srv.Addr() == nil {
		if f := h.slog.lastFatal(); f != "" {
			return fmt.Errorf("start NATS server on %s: %s", h.listen, f)
		}
		return fmt.Errorf("start NATS server on %s: cannot listen", h.listen)
	}
	return nil
}

// setGrants makes the grants of roster r and users the ones in force, and
// closes the connections whose grant they change. The caller holds h.mu,
// or is open.
func (h *Hub) setGrants(r *protocol.Roster, users *userKeys) error {
	pub, err := h.internal.public()
	if err != nil {
		return err
	}
	g, err := h.grants(r, users, pub, h.admitted)
	if err != nil {
		return err
	}
	disconnectChanged(h.srv, h.auth.set(g), g)
	return nil
}

// connect opens an in-process connection as one of the hub's internal
// users.
func (h *Hub) connect(kp nkeys.KeyPair, name, inbox string) (*nats.Conn, error) {
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect("", nats.InProcessServer(h.srv), nats.Nkey(pub, kp.Sign),
		nats.Name(name), nats.CustomInboxPrefix(inbox),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			// A permission violation here is a bug of the hub's that NATS
			// stopped: say so loudly.
			h.log.Error("the hub's own connection was refused", "connection", name, "err", err)
		}))
	if err != nil {
		return nil, fmt.Errorf("connect to the embedded server: %w", err)
	}
	return nc, nil
}

// internalKeys are the key pairs of the hub's internal users.
type internalKeys struct {
	service, ingest, answer nkeys.KeyPair
}

func newInternalKeys() (internalKeys, error) {
	var k internalKeys
	for _, p := range []*nkeys.KeyPair{&k.service, &k.ingest, &k.answer} {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return k, fmt.Errorf("create the hub's internal users: %w", err)
		}
		*p = kp
	}
	return k, nil
}

// public returns the public keys of k.
func (k internalKeys) public() (internalUsers, error) {
	var u internalUsers
	for _, x := range []struct {
		kp  nkeys.KeyPair
		out *string
	}{{k.service, &u.service}, {k.ingest, &u.ingest}, {k.answer, &u.answer}} {
		pub, err := x.kp.PublicKey()
		if err != nil {
			return u, err
		}
		*x.out = pub
	}
	return u, nil
}

// activeSet is the set of r's active members.
func activeSet(r *protocol.Roster) map[string]bool {
	m := map[string]bool{}
	for _, a := range r.Active() {
		m[a.Card.Agency] = true
	}
	return m
}

// ClientURL returns the URL clients on this machine reach the hub at:
// tls://… when the hub serves TLS (its certificate is valid for 127.0.0.1
// when the network CA made it), else nats://….
func (h *Hub) ClientURL() string {
	host, _, _ := net.SplitHostPort(h.listen)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	port := 0
	if a, ok := h.srv.Addr().(*net.TCPAddr); ok {
		port = a.Port
	}
	scheme := "nats://"
	if h.tls != nil {
		scheme = "tls://"
	}
	return scheme + net.JoinHostPort(host, strconv.Itoa(port))
}

// Roster returns the roster in force.
func (h *Hub) Roster() *SignedRoster {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.roster
}

// Run checks the hub directory for roster changes every poll interval and
// applies them, until ctx ends. A change it cannot apply is logged and the
// hub keeps the roster in force. Run does not close the hub.
func (h *Hub) Run(ctx context.Context) error {
	t := time.NewTicker(h.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		h.mu.Lock()
		changed := h.fileStamp() != h.stamp
		h.mu.Unlock()
		if changed {
			if err := h.Reload(ctx); err != nil {
				h.log.Error("roster change not applied", "err", err)
			}
		}

	}
}

// Reload reads roster.jws and users.json again and applies them: inbox
// consumers for new members, then the server's users (a revoked agency is
// disconnected), then the new roster into the bucket. A roster older than
// the one in force is refused.
func (h *Hub) Reload(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	// Remember the files as seen now even if the change is refused, so that
	// Run reports a bad change once, not at every poll.
	h.stamp = h.fileStamp()
	next, err := loadRoster(h.dir, h.cfg.Network)
	if err != nil {
		return err
	}
	users, err := loadUsers(h.dir)
	if err != nil {
		return err
	}
	cur := h.roster
	if next.Roster.Serial == cur.Roster.Serial && !bytes.Equal(next.JWS, cur.JWS) {
		return fmt.Errorf("%s holds another roster with the serial %d in force", RosterFile, cur.Roster.Serial)
	}
	if next.Roster.Serial != cur.Roster.Serial {
		if err := next.Roster.CheckSuccessor(cur.Roster); err != nil {
			return fmt.Errorf("%s: %w", RosterFile, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := h.apply(ctx, next, users); err != nil {
		return err
	}
	if !h.signer {
		return nil
	}
	if err := publishUsers(ctx, h.usersKV, next.Roster.Serial, users); err != nil {
		return err
	}
	published, err := publishRoster(ctx, h.kv, next, h.card, h.log)
	if err != nil {
		return err
	}
	if published {
		h.log.Info("roster published", "serial", next.Roster.Serial, "active_members", len(next.Roster.Active()))
	}
	return nil
}

// apply makes next and users the roster and users in force: inbox
// consumers for new members, then who may connect (a lapsed agency is
// disconnected), then the ingest's members. The caller holds h.mu.
func (h *Hub) apply(ctx context.Context, next *SignedRoster, users *userKeys) error {
	if err := ensureConsumers(ctx, h.js, next.Roster); err != nil {
		return err
	}
	if err := h.setGrants(next.Roster, users); err != nil {
		return err
	}
	h.roster, h.users = next, users
	h.ingest.setMembers(activeSet(next.Roster))
	return nil
}

// fileStamp summarizes the size and modification time of roster.jws and
// users.json, to notice a change cheaply.
func (h *Hub) fileStamp() string {
	var b bytes.Buffer
	for _, name := range []string{RosterFile, UsersFile} {
		fi, err := os.Stat(filepath.Join(h.dir, name))
		if err != nil {
			fmt.Fprintf(&b, "%s:missing;", name)
			continue
		}
		fmt.Fprintf(&b, "%s:%d:%d;", name, fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String()
}

// Close stops the hub: it closes the service connection, shuts the server
// down and waits for it, and releases the directory.
func (h *Hub) Close() error {
	h.control.close()
	h.control = nil
	if h.ingest != nil {
		h.ingest.close()
	}
	h.positions.close()
	if h.stats != nil {
		h.stats.close()
		h.stats = nil
	}
	if h.attach != nil {
		h.attach.close()
	}
	h.guard.stop()
	h.witness.close()
	h.follower.stop()
	for _, nc := range []*nats.Conn{h.nc, h.storing, h.answers} {
		if nc != nil {
			nc.Close()
		}
	}
	if h.srv != nil {
		h.srv.Shutdown()
		h.srv.WaitForShutdown()
	}
	if h.own != nil {
		h.own.Close()
		h.own = nil
	}
	if h.unlockRun != nil {
		h.unlockRun()
		h.unlockRun = nil
	}
	return nil
}

// warnCertExpiry logs when the hub's TLS certificate has expired or
// expires within 30 days: nodes then refuse the hub.
func (h *Hub) warnCertExpiry(dir string) {
	if h.tls == nil || len(h.tls.Certificates) == 0 || h.tls.Certificates[0].Leaf == nil {
		return
	}
	end := h.tls.Certificates[0].Leaf.NotAfter
	switch left := time.Until(end); {
	case left <= 0:
		h.log.Error("the hub's TLS certificate has expired: nodes refuse the hub", "not_after", end.UTC().Format(time.RFC3339), "fix", "casenode hub tls --dir "+dir+", then restart the hub")
	case left < 30*24*time.Hour:
		h.log.Warn("the hub's TLS certificate expires soon", "not_after", end.UTC().Format(time.RFC3339), "fix", "casenode hub tls --dir "+dir+", then restart the hub")
	}
}

// tlsMode names the hub's TLS mode for its log.
func tlsMode(t *config.HubTLS) string {
	switch {
	case !t.Enabled():
		return "off"
	case t.VerifyClients:
		return "mutual"
	}
	return "on"
}
