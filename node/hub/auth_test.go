package hub

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/hubconn"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

func TestConnectionWithoutCredentialsIsRefused(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh)
	if _, err := nats.Connect(n.hub.ClientURL(), nats.NoReconnect()); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("connect without credentials: %v, want an authorization violation", err)
	}
	if _, err := nats.Connect(n.hub.ClientURL(), nats.UserInfo(gh, "password"), nats.NoReconnect()); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("connect with a user name and password: %v, want an authorization violation", err)
	}
}

func TestConnectionWithWrongCredentialsIsRefused(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh)
	// A well-formed NKey the hub does not know.
	stranger := filepath.Join(t.TempDir(), "stranger.creds")
	_, creds, err := newUser("stranger")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stranger, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := n.nodeConfig(gh)
	cfg.CredsFile = stranger
	if _, err := dialConfig(cfg); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("unknown credentials: %v, want an authorization violation", err)
	}
	// The credentials of an agency of another network's hub.
	other := newTestNet(t, gh)
	cfg.CredsFile = other.creds[gh]
	if _, err := dialConfig(cfg); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("credentials of another hub: %v, want an authorization violation", err)
	}
	// A member's public key with another seed: the nonce signature fails.
	pub := mustUsers(t, n.dir).Agencies[gh]
	kp, _ := nkeys.CreateUser()
	if _, err := nats.Connect(n.hub.ClientURL(), nats.Nkey(pub, kp.Sign), nats.NoReconnect()); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("gh-ag's public key, another seed: %v", err)
	}
	// Credentials readable by others are refused before connecting.
	if err := os.Chmod(n.creds[gh], 0o644); err != nil {
		t.Fatal(err)
	}
	var he *hint.Error
	if _, err := n.dial(gh); !errors.As(err, &he) || !strings.Contains(he.Hint(), "chmod 600") {
		t.Fatalf("world-readable credentials: %v", err)
	}
}

func mustUsers(t *testing.T, dir string) *userKeys {
	t.Helper()
	u, err := loadUsers(dir)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestRevokedCredentialsReadTheRosterOnly revokes an agency: its
// credentials still connect, so that its node learns why it can neither
// send nor receive, but they read the roster and nothing else, also after
// the hub restarts.
func TestRevokedCredentialsReadTheRosterOnly(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	s, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Revoke(gh, time.Now())
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.hub.Reload(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	n.readsRosterOnly(t, n.connect(t, gh), gh)
	// After a restart too.
	n.hub.Close()
	n.start(t)
	n.readsRosterOnly(t, n.connect(t, gh), gh)
	n.connect(t, sn)
}

// nodeLike is a connection made exactly as an agency's node makes it
// (reconnecting forever), recording what happens to it.
type nodeLike struct {
	nc *nats.Conn

	mu            sync.Mutex
	reconnectErrs []error
}

func (n *testNet) connectLikeNode(t *testing.T, agency string) *nodeLike {
	t.Helper()
	nl := &nodeLike{}
	record := func(_ *nats.Conn, err error) {
		if err == nil {
			return
		}
		nl.mu.Lock()
		nl.reconnectErrs = append(nl.reconnectErrs, err)
		nl.mu.Unlock()
	}
	nc, err := hubconn.Connect(n.nodeConfig(agency),
		nats.ReconnectWait(20*time.Millisecond),
		nats.ReconnectErrHandler(record),
		nats.ErrorHandler(func(nc *nats.Conn, _ *nats.Subscription, err error) { record(nc, err) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	poll.Until(t, 10*time.Second, agency+" to connect", nc.IsConnected)
	nl.nc = nc
	return nl
}

// refused says whether a reconnection attempt was refused for
// authorization, and the connection is still trying.
func (nl *nodeLike) refused() bool {
	if nl.nc.IsClosed() {
		return false
	}
	nl.mu.Lock()
	defer nl.mu.Unlock()
	for _, err := range nl.reconnectErrs {
		if errors.Is(err, nats.ErrAuthorization) || strings.Contains(err.Error(), "Authorization Violation") {
			return true
		}
	}
	return false
}

// runHub runs the hub's directory watch, as 'casenode hub run' does, with a
// short poll interval.
func runHub(t *testing.T, n *testNet) {
	t.Helper()
	n.hub.poll = 20 * time.Millisecond
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.hub.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		<-done
	})
}

// TestRevocationDisconnectsTheAgency revokes a connected agency the way the
// secretariat does (member revoke, on the directory of a running hub) and
// checks that the hub drops the connection within seconds — ending the
// pull requests it made as a member — and that the node's reconnection
// reads the roster and nothing else, while other agencies stay connected.
func TestRevocationDisconnectsTheAgency(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	runHub(t, n)
	ghNode, snNode := n.connectLikeNode(t, gh), n.connectLikeNode(t, sn)

	s, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(gh, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	start := time.Now()
	reconnected := make(chan struct{}, 1)
	ghNode.nc.SetReconnectHandler(func(*nats.Conn) { reconnected <- struct{}{} })
	select {
	case <-reconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("the hub did not disconnect gh-ag, or gh-ag did not reconnect")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("disconnected after %s", d)
	}
	js, err := jetstream.New(ghNode.nc)
	if err != nil {
		t.Fatal(err)
	}
	c := &agencyConn{nc: ghNode.nc, js: js}
	ghNode.nc.SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		c.mu.Lock()
		c.errs = append(c.errs, err)
		c.mu.Unlock()
	})
	n.readsRosterOnly(t, c, gh)
	if !snNode.nc.IsConnected() {
		t.Fatal("sn-pj-dakar was disconnected too")
	}
}

// TestKeyRevocationSuspendsTheAgency revokes a connected agency's current
// key: it is suspended and disconnected; installing its new card gives it
// new credentials, and the old ones stay refused.
func TestKeyRevocationSuspendsTheAgency(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	runHub(t, n)
	ghNode := n.connectLikeNode(t, gh)
	oldCreds := n.creds[gh]

	s, err := OpenSecretariat(n.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sr, err := s.RevokeKey(gh, n.ids[gh].KeyID(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if m := sr.Roster.Member(gh); m.Status != protocol.StatusSuspended {
		t.Fatalf("status %s after revoking the current key", m.Status)
	}
	poll.Until(t, 10*time.Second, "the hub to disconnect gh-ag", func() bool { return !ghNode.nc.IsConnected() })
	poll.Until(t, 10*time.Second, "the hub to refuse gh-ag's reconnection", ghNode.refused)

	// The agency makes new keys; the secretariat installs the card.
	fresh, err := identity.Generate(testNetwork, gh, "Agency gh-ag", "GH", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	newCreds := filepath.Join(t.TempDir(), "gh-ag.creds")
	res, err := s.Rotate(fresh.Card, RotateOptions{CredsOut: newCreds}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.CredsFile != newCreds || !res.Previous.Revoked || res.Roster.Roster.Member(gh).Status != protocol.StatusActive {
		t.Fatalf("rotate of a suspended member: %+v", res)
	}
	poll.Until(t, 10*time.Second, "the hub to apply the new roster", func() bool { return n.hub.Roster().Roster.Serial == res.Roster.Roster.Serial })
	n.creds[gh] = newCreds
	n.connect(t, gh)
	n.creds[gh] = oldCreds
	if _, err := n.dial(gh); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("the suspended agency's old credentials: %v", err)
	}
}

// TestAdminIsSeparate checks that the secretariat's monitoring credentials
// (admin.creds), the hub's own service user and every agency's credentials
// are distinct keys, and that the admin can look but not read, take, send
// or change anything.
func TestAdminIsSeparate(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	users := mustUsers(t, n.dir)
	service, err := n.hub.internal.service.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{users.Admin: "admin", service: "service"}
	if len(seen) != 2 {
		t.Fatal("the admin user is the hub's service user")
	}
	for agency, key := range users.Agencies {
		if other, dup := seen[key]; dup {
			t.Fatalf("%s has the key of %s", agency, other)
		}
		seen[key] = agency
	}
	adminSeed, err := os.ReadFile(filepath.Join(n.dir, AdminCredsFile))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.ParseDecoratedNKey(adminSeed)
	if err != nil {
		t.Fatal(err)
	}
	if pub, _ := kp.PublicKey(); pub != users.Admin {
		t.Fatal("admin.creds is not the admin user of users.json")
	}

	// The service user is made afresh at each start, kept in memory only,
	// and allowed in-process connections only.
	seed, err := n.hub.internal.service.Seed()
	if err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(n.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(path); bytes.Contains(b, seed) {
				t.Errorf("%s holds the hub's service seed", path)
			}
		}
		return nil
	})
	if _, err := nats.Connect(n.hub.ClientURL(), nats.Nkey(service, n.hub.internal.service.Sign), nats.NoReconnect()); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("the service user over TCP: %v, want an authorization violation", err)
	}

	// The admin looks but does not touch.
	admin := n.connectAdmin(t)
	if _, err := admin.js.Stream(ctxT(t), stream); err != nil {
		t.Fatalf("admin stream info: %v", err)
	}
	for _, subj := range []string{
		protocol.MessageSubject(testNetwork, gh, sn, protocol.TypeLead),
		protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead),
		rosterSubject(testNetwork),
	} {
		if err := admin.nc.Publish(subj, []byte("x")); err != nil {
			t.Fatal(err)
		}
		admin.waitError(t, violation, "Publish", `"`+subj+`"`)
	}
	for _, api := range []string{
		"$JS.API.STREAM.MSG.GET." + stream, // a stored message's sealed bytes
		"$JS.API.DIRECT.GET." + stream,
		"$JS.API.CONSUMER.MSG.NEXT." + stream + "." + protocol.ConsumerName(sn),
		"$JS.API.CONSUMER.CREATE." + stream,
		"$JS.API.STREAM.DELETE." + stream,
		"$JS.API.STREAM.PURGE." + stream,
	} {
		if err := admin.nc.PublishRequest(api, adminInbox+".x", []byte("{}")); err != nil {
			t.Fatal(err)
		}
		admin.waitError(t, violation, "Publish", `"`+api+`"`)
	}
	for _, subj := range []string{protocol.StreamSubjects(testNetwork), protocol.InboxPrefix(gh) + ".>"} {
		if _, err := admin.nc.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
		admin.waitError(t, violation, "Subscription", `"`+subj+`"`)
	}
}

// connectAdmin connects with the hub directory's admin credentials.
func (n *testNet) connectAdmin(t *testing.T) *agencyConn {
	t.Helper()
	cfg := n.nodeConfig(gh)
	cfg.CredsFile = filepath.Join(n.dir, AdminCredsFile)
	if n.tls != nil && n.tls.VerifyClients {
		cfg.TLSCertFile, cfg.TLSKeyFile = filepath.Join(n.dir, AdminCertFile), filepath.Join(n.dir, AdminKeyFile)
	}
	c, err := dialConfig(cfg, nats.CustomInboxPrefix(adminInbox))
	if err != nil {
		t.Fatalf("connect as admin: %v", err)
	}
	t.Cleanup(c.nc.Close)
	return c
}

// readsRosterOnly checks that c, the connection of a revoked agency, reads
// the roster that says so, and is denied publishing and its consumer.
func (n *testNet) readsRosterOnly(t *testing.T, c *agencyConn, agency string) {
	t.Helper()
	if m := n.fetchRoster(t, c).Member(agency); m == nil || m.Status != protocol.StatusRevoked {
		t.Fatalf("the roster %s reads lists it as %+v, want revoked", agency, m)
	}
	if _, err := c.js.Publish(shortCtx(t), protocol.IngestSubject(testNetwork, agency, sn, protocol.TypeLead), []byte("x")); err == nil {
		t.Fatalf("revoked %s published", agency)
	}
	c.waitError(t, violation, "Publish", protocol.IngestSubject(testNetwork, agency, sn, protocol.TypeLead))
	if _, err := c.js.Consumer(shortCtx(t), stream, protocol.ConsumerName(agency)); err == nil {
		t.Fatalf("revoked %s bound its consumer", agency)
	}
	c.waitError(t, violation, "Publish", "$JS.API.CONSUMER.INFO."+stream+"."+protocol.ConsumerName(agency))
}
