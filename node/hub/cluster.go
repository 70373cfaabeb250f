package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// clusterConfig is the server configuration text that makes the hub one
// server of a NATS cluster: its server name, JetStream with its own store,
// the cluster's name, route listener and routes, and TLS on the routes with
// the network CA when the hub serves TLS. Clustered JetStream is built from
// configuration text: set through server.Options fields it is fragile
// (nats-server #6890, #4794). Empty when the hub runs alone.
func clusterConfig(cfg *config.Hub) string {
	c := &cfg.Cluster
	if !c.Enabled() {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %s\n", strconv.Quote(c.ServerName))
	// With sync "always" every replica fsyncs each message before it
	// acknowledges it to the stream's leader, so that what the hub
	// acknowledges is on the disks of a quorum: the ingest's group sync of
	// its own block files (blockSyncer) would cover only this server's
	// replica, which need not be in the quorum.
	sync := "always"
	if cfg.Sync != config.SyncAlways {
		sync = cfg.SyncInterval().String()
	}
	fmt.Fprintf(&b, "jetstream {\n  store_dir: %s\n  sync_interval: %s\n}\n", strconv.Quote(cfg.StoreDir), strconv.Quote(sync))
	fmt.Fprintf(&b, "cluster {\n  name: %s\n  listen: %s\n", strconv.Quote(c.Name), strconv.Quote(c.Listen))
	routes := make([]string, len(c.Routes))
	for i, r := range c.Routes {
		routes[i] = strconv.Quote(r)
	}
	fmt.Fprintf(&b, "  routes: [%s]\n", strings.Join(routes, ", "))
	if t := &cfg.TLS; t.Enabled() && t.CAFile != "" {
		// Routes are TLS: each server presents the hub certificate the
		// network CA made, and checks the certificate of every server it
		// dials against the CA. The hub certificate is a server
		// certificate only, so a server does not check who dials in: the
		// route port must be reachable by the cluster's servers alone
		// (docs/OPERATOR.md).
		fmt.Fprintf(&b, "  tls {\n    cert_file: %s\n    key_file: %s\n    ca_file: %s\n    timeout: %d\n  }\n",
			strconv.Quote(t.CertFile), strconv.Quote(t.KeyFile), strconv.Quote(t.CAFile), tlsTimeoutSecs)
	}
	b.WriteString("}\n")
	return b.String()
}

// usersKey is the key of users.json in the users bucket.
const usersKey = "users"

// maxUsersValue bounds the users bucket's value a server decodes.
const maxUsersValue = 1 << 20

// usersBucket is the bucket in which the signing server of a cluster
// publishes users.json for the others. It lives in the hub account and is
// exported to no member.
func usersBucket(network string) string { return "casenode-hub-users-" + network }

// usersValue is the users bucket's value: users.json with the serial of the
// roster it goes with.
type usersValue struct {
	Serial uint64    `json:"serial"`
	Users  usersFile `json:"users"`
}

// setupUsersBucket creates or updates the users bucket of a clustered hub;
// nil when the hub runs alone.
func setupUsersBucket(ctx context.Context, js jetstream.JetStream, cfg *config.Hub) (jetstream.KeyValue, error) {
	if !cfg.Cluster.Enabled() {
		return nil, nil
	}
	// Read through the JetStream API, as the roster bucket (bucketStream).
	return ensureBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket:       usersBucket(cfg.Network),
		Description:  "casenode: the NATS users of network " + cfg.Network + ", for the servers of its hub",
		History:      RosterHistory,
		MaxValueSize: maxUsersValue,
		Storage:      jetstream.FileStorage,
		Replicas:     cfg.Replicas(),
	})
}

// publishUsers puts users, which go with the roster of serial, into the
// users bucket; nothing when kv is nil (the hub runs alone).
func publishUsers(ctx context.Context, kv jetstream.KeyValue, serial uint64, users *userKeys) error {
	if kv == nil {
		return nil
	}
	data, err := json.Marshal(usersValue{Serial: serial, Users: users.file()})
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, usersKey, data); err != nil {
		return fmt.Errorf("publish users: %w", err)
	}
	return nil
}

// decodeUsers reads a users bucket value.
func decodeUsers(data []byte) (uint64, *userKeys, error) {
	var v usersValue
	if err := protocol.DecodeStrict("users bucket", data, maxUsersValue, &v); err != nil {
		return 0, nil, err
	}
	u := &userKeys{Version: v.Users.Version, Admin: v.Users.Admin, Agencies: make(map[string]string, len(v.Users.Agencies))}
	for _, a := range v.Users.Agencies {
		if _, dup := u.Agencies[a.Agency]; dup {
			return 0, nil, fmt.Errorf("users bucket: %q is listed twice", a.Agency)
		}
		u.Agencies[a.Agency] = a.NKey
	}
	if err := u.validate(); err != nil {
		return 0, nil, fmt.Errorf("users bucket: %w", err)
	}
	return v.Serial, u, nil
}

// file is the encoding of u, agencies sorted by id.
func (u *userKeys) file() usersFile {
	f := usersFile{Version: u.Version, Admin: u.Admin, Agencies: []agencyKey{}}
	for _, agency := range slices.Sorted(maps.Keys(u.Agencies)) {
		f.Agencies = append(f.Agencies, agencyKey{Agency: agency, NKey: u.Agencies[agency]})
	}
	return f
}

// holdsSigningKey says whether the hub directory dir holds the
// secretariat's signing key.
func holdsSigningKey(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, SecretariatDir, identity.SigningKeyFile))
	return err == nil
}

// startRoster publishes the roster in force, or follows the one published.
// A hub that runs alone, and the server of a cluster that holds the
// secretariat's signing key, publish roster.jws (and, in a cluster,
// users.json) and guard the bucket. The other servers of a cluster hold no
// key: they take each newer roster the signing server published, verified
// with the secretariat's pinned key, with its users, and keep them in
// their own directory for their next start.
func (h *Hub) startRoster(ctx context.Context) error {
	h.signer = !h.cfg.Cluster.Enabled() || holdsSigningKey(h.dir)
	if h.signer {
		for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
			err := publishUsers(ctx, h.usersKV, h.roster.Roster.Serial, h.users)
			if err == nil {
				_, err = publishRoster(ctx, h.kv, h.roster, h.card, h.log)
			}
			var rollback *RollbackError
			if err == nil || !h.cfg.Cluster.Enabled() || errors.As(err, &rollback) {
				if err != nil {
					return err
				}
				break
			}
			// A cluster's new buckets may not answer at once.
			select {
			case <-ctx.Done():
				return err
			case <-time.After(wait):
			}
		}
		var err error
		h.guard, err = h.guardRoster()
		return err
	}
	h.log.Info("this server holds no secretariat key: it serves the roster the signing server publishes", "server", h.cfg.Cluster.ServerName)
	if err := h.follow(ctx); err != nil {
		// The signing server may not have published yet: the follower
		// tries again.
		h.log.Warn("roster bucket not followed yet", "err", err)
	}
	var err error
	h.follower, err = h.startFollower()
	return err
}

// follow adopts the roster bucket's roster if it is newer than the one in
// force, with the users published for it.
func (h *Hub) follow(ctx context.Context) error {
	entry, err := h.kv.Get(ctx, protocol.RosterKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the roster bucket: %w", err)
	}
	sr, err := VerifyRoster(entry.Value(), h.card.PublicKey())
	if err != nil {
		return fmt.Errorf("the roster bucket's roster: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := h.roster
	if sr.Roster.Serial <= cur.Roster.Serial {
		return nil
	}
	if err := sr.Roster.CheckSuccessor(cur.Roster); err != nil {
		return fmt.Errorf("the roster bucket's roster: %w", err)
	}
	ue, err := h.usersKV.Get(ctx, usersKey)
	if err != nil {
		return fmt.Errorf("read the users bucket: %w", err)
	}
	serial, users, err := decodeUsers(ue.Value())
	if err != nil {
		return err
	}
	if serial < sr.Roster.Serial {
		return fmt.Errorf("the users of roster serial %d are not published yet (users bucket: serial %d)", sr.Roster.Serial, serial)
	}
	if err := h.apply(ctx, sr, users); err != nil {
		return err
	}
	if err := storeRoster(h.dir, sr); err != nil {
		return err
	}
	if err := users.save(h.dir); err != nil {
		return err
	}
	h.stamp = h.fileStamp()
	h.log.Info("roster followed", "serial", sr.Roster.Serial, "active_members", len(sr.Roster.Active()))
	return nil
}

// rosterFollower has a server without the secretariat's key follow the
// roster bucket: at every change the bucket announces, and at every poll
// interval (a change made while this server was cut off announces
// nothing, and the replica a read reaches may lag the announcement).
type rosterFollower struct {
	h     *Hub
	sub   *nats.Subscription
	pokes chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

func (h *Hub) startFollower() (*rosterFollower, error) {
	f := &rosterFollower{h: h, pokes: make(chan struct{}, 1), done: make(chan struct{})}
	sub, err := h.nc.Subscribe(rosterSubject(h.cfg.Network), func(*nats.Msg) { f.poke() })
	if err != nil {
		return nil, fmt.Errorf("watch the roster bucket: %w", err)
	}
	f.sub = sub
	f.wg.Add(1)
	go f.run()
	return f, h.nc.Flush()
}

// poke asks for a look at the bucket.
func (f *rosterFollower) poke() {
	select {
	case f.pokes <- struct{}{}:
	default:
	}
}

func (f *rosterFollower) run() {
	defer f.wg.Done()
	t := time.NewTicker(f.h.poll)
	defer t.Stop()
	for {
		select {
		case <-f.done:
			return
		case <-f.pokes:
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		if err := f.h.follow(ctx); err != nil {
			f.h.log.Warn("roster bucket not followed", "err", err)
		}
		cancel()
	}
}

// stop ends the follower.
func (f *rosterFollower) stop() {
	if f == nil {
		return
	}
	if f.sub != nil {
		_ = f.sub.Unsubscribe()
	}
	close(f.done)
	f.wg.Wait()
}

// Health is nil when this server is current: JetStream is up and, in a
// cluster, a meta leader is known and every replica this server holds of
// the streams, buckets and consumers has caught up. It says what is not
// current otherwise. Stop a second server of a cluster only once the one
// restarted before it is healthy.
func (h *Hub) Health() error {
	st := h.srv.Healthz(&server.HealthzOptions{Details: true})
	if st.Status == "ok" {
		return nil
	}
	var errs []error
	for _, e := range st.Errors {
		errs = append(errs, errors.New(e.Error))
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New(st.Error))
	}
	return fmt.Errorf("hub server not current: %w", errors.Join(errs...))
}

// Clustered says whether the hub is one server of a NATS cluster.
func (h *Hub) Clustered() bool { return h.cfg.Cluster.Enabled() }

// Clients is the number of client connections to this server (nodes, the
// admin user), the hub's own in-process connections left out.
func (h *Hub) Clients() int {
	cz, err := h.srv.Connz(&server.ConnzOptions{Limit: 1 << 20})
	if err != nil {
		return 0
	}
	n := 0
	for _, c := range cz.Conns {
		if c.IP != "" {
			n++
		}
	}
	return n
}

// StoredMessages is how many messages this server's own copy of the
// messages stream holds (in a cluster, its replica, which may lag).
func (h *Hub) StoredMessages() (uint64, error) {
	jsz, err := h.srv.Jsz(&server.JSzOptions{Accounts: true, Streams: true})
	if err != nil {
		return 0, err
	}
	for _, a := range jsz.AccountDetails {
		if a.Name != hubAccount {
			continue
		}
		for _, s := range a.Streams {
			if s.Name == protocol.StreamName(h.cfg.Network) {
				return s.State.Msgs, nil
			}
		}
	}
	return 0, fmt.Errorf("no replica of stream %s on this server", protocol.StreamName(h.cfg.Network))
}

// In a cluster, a member's publication on its ingest subject reaches the
// ingest of every server (a queue group would hand consecutive
// publications to different servers, which would store them out of
// order). The ingest of the server the publisher is connected to takes
// it, the others drop it: the imports of the ingest subjects share the
// requester's server (shareIngest), which the server stamps in the
// Nats-Request-Info header (fromServer). The cost is that every
// publication crosses the routes to every server.

// shareIngest makes spec's imports of the ingest subjects share the
// requester's server.
func shareIngest(network string, spec *accountSpec) {
	for i, s := range spec.services {
		if server.SubjectMatchesFilter(s.subject, protocol.IngestFilter(network)) {
			spec.services[i].share = true
		}
	}
}

// fromServer says whether the server stamped h, the header of a request
// that crossed into the hub account, as coming from a client connected to
// the server named name.
func fromServer(h nats.Header, name string) bool {
	v := h.Values(server.ClientInfoHdr)
	if len(v) != 1 || len(v[0]) > maxRequestInfo {
		return false
	}
	var ci struct {
		Server string `json:"server"`
	}
	return json.Unmarshal([]byte(v[0]), &ci) == nil && ci.Server == name
}

// admitMembers lets the members connect to a clustered server once its
// ingest runs.
func (h *Hub) admitMembers() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.admitted = true
	return h.setGrants(h.roster.Roster, h.users)
}

// countStored charges the stored messages to their publishers
// (countStored). A server that has just joined its cluster may not reach
// the stream's leader at once: it tries again until ctx ends.
func (h *Hub) countStored(ctx context.Context) error {
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		h.quotas = newQuotas(h.cfg.MemberLimits, time.Duration(h.cfg.Retention), h.cfg.MaxPayload+config.HeaderAllowance, h.log)
		err := countStored(ctx, h.js, h.cfg.Network, h.quotas)
		if err == nil || !h.cfg.Cluster.Enabled() {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// retryClustered runs f, with a deadline of attemptTimeout, until it
// succeeds or ctx ends when the hub is clustered (a request made while the
// cluster settles may get no answer), once otherwise.
func retryClustered(ctx context.Context, cfg *config.Hub, f func(context.Context) error) error {
	if !cfg.Cluster.Enabled() {
		return f(ctx)
	}
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// serviceQueue is the queue group of the hub's request services (witness,
// attachments): on a clustered hub, one server answers each request.
const serviceQueue = "casenode-hub"
