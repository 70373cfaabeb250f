package secretariat_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/console/browsertest"
	"github.com/casenode/casenode/node/console/secretariat"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

const (
	dakar = "sn-pj-dakar"
	accra = "gh-ag-accra"
	// password is every test account's password.
	password = "correct horse battery"
	// passphrase is the secretariat key's.
	passphrase = "secretariat key passphrase"
)

// testHub is a network of two running agencies and its hub, with the
// secretariat's console and two accounts: "fatou" (secretariat) and
// "ousmane" (observer).
type testHub struct {
	net *localnet.Net
	url string
}

func startHub(t *testing.T, ctx context.Context) *testHub {
	t.Helper()
	o := localnet.Options{Network: "wacap", Kind: protocol.KindClassic, SecretariatPassphrase: []byte(passphrase)}
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
	for _, a := range []string{dakar, accra} {
		if _, err := n.Start(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := n.WaitReady(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
	}
	for name, role := range map[string]hub.StaffRole{"fatou": hub.RoleSecretariat, "ousmane": hub.RoleObserver} {
		if _, err := hub.AddStaff(n.HubDir(), name, role, []byte(password), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := secretariat.New(n.Hub(), config.Console{Listen: "127.0.0.1:0"}, secretariat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &testHub{net: n, url: browsertest.Serve(t, srv)}
}

// client is a browser without JavaScript: a cookie jar that does not
// follow redirects.
func client(t *testing.T) *http.Client { t.Helper(); return browsertest.Client(t) }

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	return browsertest.Get(t, c, u)
}

func post(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	return browsertest.Post(t, c, u, v)
}

func csrfOf(t *testing.T, body string) string { t.Helper(); return browsertest.CSRF(t, body) }

func signIn(t *testing.T, c *http.Client, base, name, pw string) *http.Response {
	t.Helper()
	return browsertest.SignIn(t, c, base, name, pw)
}
