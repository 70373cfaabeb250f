package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/console"
	"github.com/casenode/casenode/node/console/browsertest"
)

// TestTLSAndBanner serves a console over HTTPS (secure, host-only session
// cookie, HSTS) and checks that when the hub goes away every page says so,
// and that sending still works.
func TestTLSAndBanner(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	certFile, keyFile, pool := browsertest.SelfSigned(t, t.TempDir())
	srv, err := console.New(tn.net.Node(dakar), config.Console{Listen: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile}, console.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := browsertest.Serve(t, srv)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("URL %s", base)
	}
	c := browsertest.TLSClient(t, pool)
	resp := signIn(t, c, base, "aminata", password)
	var cookie string
	for _, h := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "__Host-casenode_session_"+dakar+"=") {
			cookie = h
		}
	}
	for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	resp, _ = get(t, c, base+"inbox")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("inbox over TLS: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}

	if err := tn.net.StopHub(); err != nil {
		t.Fatal(err)
	}
	poll(t, "the offline banner", time.Minute, func() bool {
		_, body := get(t, c, base+"inbox")
		return strings.Contains(body, `<p class="banner warn" role="status">The hub is unreachable since`) && strings.Contains(body, "Sending still works")
	})
}
