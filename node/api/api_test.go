package api_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nkeys"
)

// offlineNode opens a node that has joined a network but never reached its
// hub (there is none): it has no roster yet. tcp, if set, is api.listen.
func offlineNode(t *testing.T, tcp string) (*agency.Node, *api.Server) {
	t.Helper()
	// A short directory: Unix socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "cn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	id, err := identity.Generate("wacap", "sn-pj-dakar", "Parquet de Dakar", "SN", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	sec, err := identity.Generate("wacap", "wacap-secretariat", "Secretariat", "SN", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultNode()
	cfg.Network, cfg.Agency, cfg.HubURLs = "wacap", "sn-pj-dakar", []string{"nats://127.0.0.1:1"}
	key := sec.Card.SigningKey
	cfg.SecretariatKey = &key
	if tcp != "" {
		cfg.API.Listen, cfg.API.TokenFile = tcp, "api.token"
	}
	b, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, config.NodeFile), b, 0o600)
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	creds := "-----BEGIN USER NKEY SEED-----\n" + string(seed) + "\n------END USER NKEY SEED------\n"
	os.WriteFile(filepath.Join(dir, config.DefaultCredsFile), []byte(creds), 0o600)
	n, err := agency.Open(context.Background(), dir, agency.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := api.NewServer(n, nil)
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		n.Close()
	})
	return n, srv
}

func TestAPIOffline(t *testing.T) {
	n, _ := offlineNode(t, "")
	socket := n.Config().API.Socket
	fi, err := os.Stat(socket)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %s: %v, mode %v", socket, err, fi.Mode())
	}
	c := api.NewUnixClient(socket, "awa")
	ctx := context.Background()

	s, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Agency != "sn-pj-dakar" || s.Hub.State != "offline" || s.Roster != nil || s.Audit.Records < 2 {
		t.Errorf("status: %+v", s)
	}
	ms, err := c.Inbox(ctx, agency.InboxQuery{})
	if err != nil || len(ms) != 0 {
		t.Errorf("inbox: %v, %v", ms, err)
	}

	_, err = c.Send(ctx, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)})
	wantError(t, err, http.StatusServiceUnavailable, "has not reached the hub yet", "casenode run")
	_, err = c.Send(ctx, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: []byte(`{"v":1}`)})
	wantError(t, err, http.StatusBadRequest, "lead.title", "casenode example case.lead")
	_, err = c.Open(ctx, protocol.NewMessageID(time.Now()))
	wantError(t, err, http.StatusNotFound, "no message", "casenode inbox")
	_, err = c.Open(ctx, "not-an-id")
	wantError(t, err, http.StatusBadRequest, "invalid message id", "")
	_, err = c.Case(ctx, "c-1")
	wantError(t, err, http.StatusNotFound, "no case", "")
	_, err = c.Contacts(ctx, agency.ContactQuery{Country: "XX"})
	wantError(t, err, http.StatusBadRequest, "country", "")

	// The actor is the socket's peer: the Casenode-Actor header is an
	// optional label.
	anonymous := api.NewUnixClient(socket, "")
	_, err = anonymous.Open(ctx, protocol.NewMessageID(time.Now()))
	wantError(t, err, http.StatusNotFound, "no message", "casenode inbox")

	// The snapshot is a consistent audit log file.
	var buf bytes.Buffer
	nb, err := c.AuditSnapshot(ctx, &buf)
	if err != nil || nb != int64(buf.Len()) {
		t.Fatalf("snapshot: %d bytes, %v", nb, err)
	}
	path := filepath.Join(t.TempDir(), "snapshot.db")
	os.WriteFile(path, buf.Bytes(), 0o600)
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if size, err := r.Size(); err != nil || size != s.Audit.Records {
		t.Errorf("snapshot holds %d records (%v), status said %d", size, err, s.Audit.Records)
	}
}

func wantError(t *testing.T, err error, status int, msg, fix string) {
	t.Helper()
	var e *hint.Error
	var s api.Status
	if !errors.As(err, &e) || !errors.As(err, &s) {
		t.Fatalf("got %v, want an API error %d", err, status)
	}
	if int(s) != status || !strings.Contains(e.Msg, msg) || !strings.Contains(e.Hint(), fix) {
		t.Errorf("got %d %q (hint %q), want %d containing %q (hint with %q)", s, e.Msg, e.Hint(), status, msg, fix)
	}
}

func TestAPITCPToken(t *testing.T) {
	n, srv := offlineNode(t, "127.0.0.1:0")
	tokenFile := n.Config().API.TokenFile
	fi, err := os.Stat(tokenFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v", err, fi.Mode())
	}
	data, _ := os.ReadFile(tokenFile)
	var token string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == api.DefaultTokenHolder {
			token = f[1]
		}
	}
	base := "http://" + srv.Addrs()[1].String()
	ctx := context.Background()
	if _, err := api.NewTCPClient(base, "wrong-token", "awa").Status(ctx); err == nil {
		t.Fatal("a wrong token was accepted")
	} else {
		wantError(t, err, http.StatusUnauthorized, "bearer token", "Authorization")
	}
	if _, err := api.NewTCPClient(base, "", "awa").Status(ctx); err == nil {
		t.Fatal("no token was accepted")
	}
	s, err := api.NewTCPClient(base, token, "awa").Status(ctx)
	if err != nil || s.Agency != "sn-pj-dakar" {
		t.Fatalf("status with the token: %+v, %v", s, err)
	}
	resp, err := http.Get(base + "/v1/nothing")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"error"`) {
		t.Errorf("unauthenticated request: %d %s", resp.StatusCode, body)
	}
}

func TestAPIUnreachable(t *testing.T) {
	c := api.NewUnixClient(filepath.Join(t.TempDir(), "api.sock"), "awa")
	_, err := c.Status(context.Background())
	var u *api.UnreachableError
	if !errors.As(err, &u) || u.Hint() == "" {
		t.Fatalf("got %v, want an UnreachableError", err)
	}
}
