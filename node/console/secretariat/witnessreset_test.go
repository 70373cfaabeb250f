package secretariat_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
)

// TestWitnessResetFromTheConsole: the secretariat resets the hub witness's
// state of a member's log with a reason and the key's passphrase; the
// reset is signed, recorded under the person and kept for the export; an
// observer cannot, and a reset without a reason is refused at its field.
func TestWitnessResetFromTheConsole(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	th := startHub(t, ctx)
	base := th.url
	h := th.net.Hub()
	poll.Until(t, 30*time.Second, dakar+"'s log witnessed by the hub", func() bool {
		cp, err := h.WitnessCheckpoint(ctx, dakar)
		return err == nil && cp != nil
	})
	sec := client(t)
	signIn(t, sec, base, "fatou", password)
	_, body := get(t, sec, base+"members/"+dakar)
	csrf := csrfOf(t, body)

	obs := client(t)
	signIn(t, obs, base, "ousmane", password)
	_, ob := get(t, obs, base+"members/"+dakar)
	if resp, _ := post(t, obs, base+"members/"+dakar+"/witness-reset", url.Values{"csrf": {csrfOf(t, ob)}, "reason": {"x"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an observer's reset: %d", resp.StatusCode)
	}
	resp, body := post(t, sec, base+"members/"+dakar+"/witness-reset", url.Values{"csrf": {csrf}, "reason": {"  "}, "passphrase": {passphrase}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Give the reason") {
		t.Errorf("a reset without a reason: %d", resp.StatusCode)
	}
	if rs, err := h.WitnessResets(ctx, dakar); err != nil || len(rs) != 0 {
		t.Fatalf("resets before: %+v (%v)", rs, err)
	}
	resp, body = post(t, sec, base+"members/"+dakar+"/witness-reset", url.Values{"csrf": {csrf}, "reason": {"disk lost; log restarted"}, "passphrase": {passphrase}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/members/"+dakar+"?done=witness-reset" {
		t.Fatalf("reset: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	rs, err := h.WitnessResets(ctx, dakar)
	if err != nil || len(rs) != 1 || rs[0].Actor != "console:fatou" || rs[0].Reason != "disk lost; log restarted" || rs[0].OldSize == 0 {
		t.Fatalf("resets after: %+v (%v), want one by console:fatou with the old size", rs, err)
	}
	acts, err := h.RecentActions(1)
	if err != nil || len(acts) != 1 || acts[0].Actor != "console:fatou" || acts[0].Action.Action != "witness-reset" || acts[0].Agency != dakar {
		t.Fatalf("hub log %+v (%v), want the reset under console:fatou", acts, err)
	}
	_, body = get(t, sec, base+"members/"+dakar+"?done=witness-reset")
	if !strings.Contains(body, "The witness forgot the old log") {
		t.Error("the member page does not say what the reset did")
	}
}
