package auditor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/console/gate"
)

// TestProgressWithoutScript: while a verification runs, its page reloads
// itself (a meta refresh: the CSP allows no script) and shows a progress
// bar with the records checked; once over, it stops reloading.
func TestProgressWithoutScript(t *testing.T) {
	s, err := newServer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	lf := &logFile{name: "x.db"}
	j := &job{start: time.Now().Add(-2 * time.Second)}
	j.done.Store(250_000)
	j.total.Store(1_000_000)
	lf.job = j
	c := &call{sess: &gate.Session{CSRF: "c"}, p: s.cat.Printer("fr")}
	get := func() string {
		w := httptest.NewRecorder()
		s.verifyPage(w, httptest.NewRequest(http.MethodGet, "/logs/x.db/verify", nil), c, lf)
		return w.Body.String()
	}
	body := get()
	for _, want := range []string{`<meta http-equiv="refresh" content="1">`, `<progress id="progress" max="1000000" value="250000">`, "25 %", "250 000 enregistrements contrôlés sur 1 000 000"} {
		if !strings.Contains(strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(body), want) {
			t.Errorf("the running verification's page lacks %q: %.1500s", want, body)
		}
	}
	j.mu.Lock()
	j.over, j.end, j.err = true, time.Now(), context.Canceled
	j.mu.Unlock()
	if body := get(); strings.Contains(body, "http-equiv") || !strings.Contains(body, `data-state="error"`) {
		t.Errorf("the page of a verification over: %.1500s", body)
	}
}
