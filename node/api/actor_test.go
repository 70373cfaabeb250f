package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// TestActorIsAuthenticated reads one message through the API three times
// on a real network: over the Unix socket, declaring itself "mallory",
// and over TCP with the tokens of two holders, declaring other names. Each
// access record names the actor the node authenticated — the operating
// system's user of the socket's peer, the token's holder — with the
// declared name only as a label beside it.
func TestActorIsAuthenticated(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "cn") // Unix socket paths are short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	n, err := localnet.Create(ctx, dir, localnet.Options{Network: "wacap", Kind: protocol.KindClassic, API: true},
		localnet.Agency{ID: "sn-pj-dakar", Name: "Parquet de Dakar", Country: "SN"}, localnet.Agency{ID: "gh-ag", Name: "Attorney-General", Country: "GH"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	// gh-ag also serves its API on TCP, with a token for each of two holders.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	ghDir := n.AgencyDir("gh-ag")
	cfg, err := config.LoadNode(ghDir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(ghDir, config.NodeFile))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	file["api"] = map[string]any{"socket": filepath.Base(cfg.API.Socket), "listen": addr, "token_file": "api.token"}
	raw, _ = json.Marshal(file)
	if err := os.WriteFile(filepath.Join(ghDir, config.NodeFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	const consoleToken, scannerToken = "c0ns0le-c0ns0le-c0ns0le-c0ns0le-c0ns0le", "scanner-scanner-scanner-scanner-scanner"
	if err := os.WriteFile(filepath.Join(ghDir, "api.token"), []byte("console "+consoleToken+"\nscanner "+scannerToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, a := range []string{"sn-pj-dakar", "gh-ag"} {
		if _, err := n.Start(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := n.WaitReady(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
	}
	res, err := n.Node("sn-pj-dakar").Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "test"}, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)})
	if err != nil {
		t.Fatal(err)
	}
	gh := n.Node("gh-ag")
	for {
		in, err := gh.Inbox(ctx, agency.InboxQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(in) == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the message did not arrive")
		case <-time.After(20 * time.Millisecond):
		}
	}

	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	clients := []struct {
		c           *api.Client
		name, label string
	}{
		{api.NewUnixClient(cfg.API.Socket, "mallory"), me.Username, "mallory"},
		{api.NewTCPClient("http://"+addr, consoleToken, "aminata"), "token:console", "aminata"},
		{api.NewTCPClient("http://"+addr, scannerToken, ""), "token:scanner", ""},
	}
	for _, c := range clients {
		if _, err := c.c.Open(ctx, res.ID); err != nil {
			t.Fatalf("open as %s: %v", c.name, err)
		}
	}

	var buf bytes.Buffer
	if _, err := gh.AuditSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	type access struct{ actor, via, label string }
	var got []access
	if err := r.Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		if rec.Type != auditlog.TypeAccess {
			return nil
		}
		var p struct{ Via, Label string }
		if err := json.Unmarshal(payload, &p); err != nil {
			return err
		}
		got = append(got, access{rec.Actor, p.Via, p.Label})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []access{{me.Username, agency.ViaSocket, "mallory"}, {"token:console", agency.ViaToken, "aminata"}, {"token:scanner", agency.ViaToken, ""}}
	if len(got) != len(want) {
		t.Fatalf("access records %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("access record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if m, err := gh.Show(ctx, agency.Actor{Via: agency.ViaProcess, Name: "test"}, res.ID); err != nil || m.ReadBy != me.Username {
		t.Errorf("read by %q (%v), want the socket's user %q", m.ReadBy, err, me.Username)
	}
}
