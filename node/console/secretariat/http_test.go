package secretariat_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/console/gate"
	"github.com/casenode/casenode/protocol"
)

// TestSecretariatHTTP: the console without a browser. Nobody gets a page
// without signing in; a wrong password is refused; the members page shows
// the roster with both agencies connected; an observer sees the pages but
// can change nothing; a form without its CSRF token is refused; a bad
// card is refused at its field; a card is admitted, with its credentials
// written and the change recorded under the person; a revocation needs
// the agency id typed again; the statistics and their CSV export.
func TestSecretariatHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	th := startHub(t, ctx)
	base := th.url
	anon := client(t)
	for _, p := range []string{"", "members", "members/" + dakar, "admit", "alarms", "stats", "stats.csv"} {
		resp, body := get(t, anon, base+p)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" || strings.Contains(body, "<main") {
			t.Errorf("GET /%s not signed in: %d %q", p, resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp.Header.Get("Content-Security-Policy") != gate.CSP {
			t.Errorf("GET /%s: CSP %q", p, resp.Header.Get("Content-Security-Policy"))
		}
	}
	if resp, _ := post(t, anon, base+"admit", url.Values{}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /admit not signed in: %d", resp.StatusCode)
	}
	if resp := signIn(t, client(t), base, "fatou", "wrong password!"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}

	sec := client(t)
	if resp := signIn(t, sec, base, "fatou", password); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/members" {
		t.Fatalf("sign in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	poll.Until(t, 30*time.Second, "both agencies connected on the members page", func() bool {
		_, body := get(t, sec, base+"members")
		return strings.Count(body, `data-connected="yes"`) == 2
	})
	_, body := get(t, sec, base+"members")
	for _, want := range []string{`data-agency="` + dakar + `"`, `data-agency="` + accra + `"`, "Parquet de Dakar", `href="/admit"`, `id="renew"`} {
		if !strings.Contains(body, want) {
			t.Errorf("members page lacks %s", want)
		}
	}
	csrf := csrfOf(t, body)
	// The nodes are not needed past this point. Stopping them keeps their
	// traffic away from the roster reloads below: nats-server's
	// ReloadOptions races with service-import traffic under the race
	// detector (nats-io/nats-server#8499).
	for _, a := range []string{dakar, accra} {
		if err := th.net.Stop(a); err != nil {
			t.Fatal(err)
		}
	}

	obs := client(t)
	signIn(t, obs, base, "ousmane", password)
	_, ob := get(t, obs, base+"members")
	if strings.Contains(ob, `href="/admit"`) || strings.Contains(ob, `id="renew"`) || !strings.Contains(ob, `data-agency="`+dakar+`"`) {
		t.Error("the observer's members page offers changes or lacks the members")
	}
	if resp, _ := post(t, obs, base+"admit", url.Values{"csrf": {csrfOf(t, ob)}, "card": {"{}"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an observer's admission: %d", resp.StatusCode)
	}
	if resp, _ := post(t, obs, base+"members/"+dakar+"/revoke", url.Values{"csrf": {csrfOf(t, ob)}, "confirm": {dakar}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an observer's revocation: %d", resp.StatusCode)
	}

	if resp, _ := post(t, sec, base+"admit", url.Values{"card": {"{}"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an admission without CSRF token: %d", resp.StatusCode)
	}
	resp, body := post(t, sec, base+"admit", url.Values{"csrf": {csrf}, "card": {`{"v":1,"agency":"x"}`}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, "not a valid member card") {
		t.Errorf("a bad card: %d", resp.StatusCode)
	}

	id, err := identity.Generate("wacap", "ng-moj-abuja", "Federal Ministry of Justice", "NG", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	card, err := id.Card.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	serial := th.net.Hub().Roster().Roster.Serial
	resp, body = post(t, sec, base+"admit", url.Values{"csrf": {csrf}, "card": {string(card)}, "passphrase": {"not the passphrase"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Wrong passphrase") || th.net.Hub().Roster().Roster.Serial != serial {
		t.Errorf("an admission with a wrong passphrase: %d, serial %d", resp.StatusCode, th.net.Hub().Roster().Roster.Serial)
	}
	resp, body = post(t, sec, base+"admit", url.Values{"csrf": {csrf}, "card": {string(card)}, "passphrase": {passphrase}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="admitted"`) || !strings.Contains(body, "ng-moj-abuja.creds") {
		t.Fatalf("admission: %d %.300s", resp.StatusCode, body)
	}
	h := th.net.Hub()
	if m := h.Roster().Roster.Member("ng-moj-abuja"); m == nil || m.Status != protocol.StatusActive {
		t.Fatal("the admitted agency is not active in the roster in force")
	}
	acts, err := h.RecentActions(1)
	if err != nil || len(acts) != 1 || acts[0].Actor != "console:fatou" || acts[0].Action.Action != "admit" || acts[0].Agency != "ng-moj-abuja" {
		t.Errorf("the hub's audit log: %+v %v", acts, err)
	}
	if resp, _ := post(t, sec, base+"admit", url.Values{"csrf": {csrf}, "card": {string(card)}, "passphrase": {passphrase}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the same card again: %d", resp.StatusCode)
	}

	// A key rotation: the new card installed, the previous key trusted for
	// the overlap typed.
	next, err := identity.Generate("wacap", "ng-moj-abuja", "Federal Ministry of Justice", "NG", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	nextCard, err := next.Card.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := post(t, sec, base+"members/ng-moj-abuja/rotate", url.Values{"csrf": {csrf}, "card": {string(nextCard)}, "overlap": {"999h"}, "passphrase": {passphrase}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a rotation with an overlap over the maximum: %d", resp.StatusCode)
	}
	if resp, _ := post(t, sec, base+"members/"+dakar+"/rotate", url.Values{"csrf": {csrf}, "card": {string(nextCard)}, "passphrase": {passphrase}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a rotation with another agency's card: %d", resp.StatusCode)
	}
	if resp, body := post(t, sec, base+"members/ng-moj-abuja/rotate", url.Values{"csrf": {csrf}, "card": {string(nextCard)}, "overlap": {"24h"}, "passphrase": {passphrase}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotation: %d %.400s", resp.StatusCode, body)
	}
	m := h.Roster().Roster.Member("ng-moj-abuja")
	if m.Card.KeyID() != next.KeyID() || len(m.Previous) != 1 || m.Previous[0].KeyID() != id.KeyID() || time.Until(m.Previous[0].ValidUntil.Time) > 24*time.Hour {
		t.Errorf("after rotation: key %s, previous %+v", m.Card.KeyID(), m.Previous)
	}

	resp, body = post(t, sec, base+"members/ng-moj-abuja/revoke", url.Values{"csrf": {csrf}, "confirm": {"ng-moj"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Type the agency id") {
		t.Errorf("a revocation without the id typed again: %d", resp.StatusCode)
	}
	if resp, _ := post(t, sec, base+"members/ng-moj-abuja/revoke", url.Values{"csrf": {csrf}, "confirm": {"ng-moj-abuja"}, "passphrase": {passphrase}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revocation: %d", resp.StatusCode)
	}
	if m := h.Roster().Roster.Member("ng-moj-abuja"); m.Status != protocol.StatusRevoked {
		t.Errorf("after revocation: %s", m.Status)
	}

	_, body = get(t, sec, base+"stats")
	for _, want := range []string{`<svg class="chart"`, `id="unanswered"`, `href="/stats.csv?from=`} {
		if !strings.Contains(body, want) && !strings.Contains(body, "No message in this period") {
			t.Errorf("statistics page lacks %s", want)
		}
	}
	if resp, _ := get(t, sec, base+"stats?from=2026-13-01"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad period: %d", resp.StatusCode)
	}
	resp, body = get(t, sec, base+"stats.csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(rows) < 5 || rows[0][0] != "figure" {
		t.Errorf("CSV: %v %q %d rows", err, resp.Header.Get("Content-Type"), len(rows))
	}
	_, body = get(t, sec, base+"alarms")
	if !strings.Contains(body, `<main`) {
		t.Error("no alarms page")
	}
	if os.Getenv("CASENODE_TEST_LOG") != "" {
		t.Log(body)
	}
}
