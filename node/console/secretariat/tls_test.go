package secretariat_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/console/browsertest"
	"github.com/casenode/casenode/node/console/secretariat"
)

// TestTLS serves the secretariat's console over HTTPS: a secure,
// host-only session cookie named for the network, HSTS, and the members
// page after sign-in.
func TestTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	th := startHub(t, ctx)
	certFile, keyFile, pool := browsertest.SelfSigned(t, t.TempDir())
	srv, err := secretariat.New(th.net.Hub(), config.Console{Listen: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile}, secretariat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := browsertest.Serve(t, srv)
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("URL %q", base)
	}
	c := browsertest.TLSClient(t, pool)
	resp, body := get(t, c, base+"signin")
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over TLS")
	}
	resp, _ = post(t, c, base+"signin", url.Values{"csrf": {csrfOf(t, body)}, "name": {"fatou"}, "password": {password}})
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-casenode_session_hub-wacap" {
			session = ck
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
		t.Fatalf("session cookie %+v of %v", session, resp.Cookies())
	}
	if resp, body := get(t, c, base+"members"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-agency="`+dakar+`"`) {
		t.Errorf("members over TLS: %d", resp.StatusCode)
	}
}
