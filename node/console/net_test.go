package console_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console"
	"github.com/casenode/casenode/node/console/browsertest"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

const (
	dakar = "sn-pj-dakar"
	accra = "gh-ag-accra"
	// password is every test account's password.
	password = "correct horse battery"
)

// testActor is the test itself, acting on a node directly.
var testActor = agency.Actor{Via: agency.ViaProcess, Name: "test"}

// testNet is a hub and two agencies, each node with its console and one
// prosecutor's account ("aminata" at Dakar, "kwame" at Accra).
type testNet struct {
	net  *localnet.Net
	urls map[string]string
}

func startNet(t *testing.T, ctx context.Context) *testNet {
	t.Helper()
	return startNetWith(t, ctx, nil)
}

// startNetWith is startNet with hub.json adjusted by hub first.
func startNetWith(t *testing.T, ctx context.Context, hub func(*config.Hub)) *testNet {
	t.Helper()
	return startNetOptions(t, ctx, localnet.Options{Hub: hub})
}

// startNetOptions is startNet with the network's options o (its name and
// kind of keys are the tests').
func startNetOptions(t *testing.T, ctx context.Context, o localnet.Options) *testNet {
	t.Helper()
	o.Network, o.Kind = "wacap", protocol.KindClassic
	if os.Getenv("CASENODE_TEST_LOG") != "" {
		o.Logger = func(name string) *slog.Logger {
			return slog.New(slog.NewTextHandler(os.Stderr, nil)).With("node", name)
		}
	}
	n, err := localnet.Create(ctx, t.TempDir(), o,
		localnet.Agency{ID: dakar, Name: "Parquet de Dakar", Country: "SN"}, localnet.Agency{ID: accra, Name: "Attorney-General's Department", Country: "GH"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	tn := &testNet{net: n, urls: map[string]string{}}
	people := map[string]string{dakar: "aminata", accra: "kwame"}
	for _, a := range []string{dakar, accra} {
		nd, err := n.Start(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.WaitReady(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
		if _, err := nd.AddAccount(ctx, testActor, agency.NewAccount{Name: people[a], Role: agency.RoleProsecutor, Password: password}); err != nil {
			t.Fatal(err)
		}
		srv, err := console.New(nd, config.Console{Listen: "127.0.0.1:0"}, console.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tn.urls[a] = browsertest.Serve(t, srv)
	}
	return tn
}

// poll calls f until it returns true or the deadline passes.
func poll(t *testing.T, what string, within time.Duration, f func() bool) {
	t.Helper()
	end := time.Now().Add(within)
	for !f() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
