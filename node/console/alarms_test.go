package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// TestAlarms raises a real alarm — the secretariat replaces an agency's
// key — and checks that every page shows it, that a prosecutor may not
// acknowledge it, and that an administrator does, recorded under their
// account.
func TestAlarms(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	d := tn.net.Node(dakar)
	if _, err := d.AddAccount(ctx, testActor, agency.NewAccount{Name: "moussa", Role: agency.RoleAdmin, Password: password}); err != nil {
		t.Fatal(err)
	}
	if err := tn.net.Admit(ctx, localnet.Agency{ID: "tg-mj", Name: "Ministère de la Justice", Country: "TG"}); err != nil {
		t.Fatal(err)
	}
	poll(t, "Dakar to take the roster with tg-mj", time.Minute, func() bool {
		return len(d.Members(ctx)) == 4
	})
	// The secretariat installs a new card for tg-mj, which never rotated.
	id, err := identity.Generate(tn.net.Network, "tg-mj", "Ministère de la Justice", "TG", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sec, err := hub.OpenSecretariat(tn.net.HubDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sec.Rotate(id.Card, hub.RotateOptions{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	sec.Close()
	// Admitting another agency has the running hub take the new roster.
	if err := tn.net.Admit(ctx, localnet.Agency{ID: "bj-mj", Name: "Ministère de la Justice", Country: "BJ"}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the card-change alarm at Dakar", time.Minute, func() bool {
		als, _ := d.Alarms(ctx)
		return len(als) == 1 && als[0].Open()
	})
	base := tn.urls[dakar]
	pros := client(t)
	signIn(t, pros, base, "aminata", password)
	_, body := get(t, pros, base+"inbox")
	if !strings.Contains(body, `<p class="banner alarm" role="status">Alarm — an agency&#39;s key changed: roster serial`) {
		t.Fatalf("no alarm banner on the inbox:\n%.3000s", body)
	}
	_, body = get(t, pros, base+"status")
	if strings.Contains(body, `action="/alarms/1/ack"`) || !strings.Contains(body, "Only an administrator acknowledges alarms.") {
		t.Error("a prosecutor is offered to acknowledge the alarm")
	}
	if resp, _ := post(t, pros, base+"alarms/1/ack", url.Values{"csrf": {csrfOf(t, body)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a prosecutor acknowledges: %d", resp.StatusCode)
	}

	admin := client(t)
	signIn(t, admin, base, "moussa", password)
	_, body = get(t, admin, base+"status")
	if !strings.Contains(body, `action="/alarms/1/ack"`) {
		t.Fatalf("the administrator is not offered to acknowledge:\n%.3000s", body)
	}
	if resp, _ := post(t, admin, base+"alarms/1/ack", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an acknowledgement without the CSRF token: %d", resp.StatusCode)
	}
	if resp, _ := post(t, admin, base+"alarms/1/ack", url.Values{"csrf": {csrfOf(t, body)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", resp.StatusCode)
	}
	als, _ := d.Alarms(ctx)
	if len(als) != 1 || als[0].Acked == nil || als[0].AckedBy != "console:moussa" {
		t.Errorf("alarm after the acknowledgement: %+v", als)
	}
	_, body = get(t, admin, base+"inbox")
	if strings.Contains(body, "banner alarm") {
		t.Error("the banner outlives the acknowledgement")
	}
}
