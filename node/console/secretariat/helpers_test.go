package secretariat_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
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
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return &testHub{net: n, url: srv.URL()}
}

// client is a browser without JavaScript: a cookie jar that does not
// follow redirects.
func client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func post(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in %.300s", body)
	}
	return m[1]
}

func signIn(t *testing.T, c *http.Client, base, name, pw string) *http.Response {
	t.Helper()
	_, body := get(t, c, base+"signin")
	resp, _ := post(t, c, base+"signin", url.Values{"csrf": {csrfOf(t, body)}, "name": {name}, "password": {pw}})
	return resp
}
