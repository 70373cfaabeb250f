package console

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/protocol"
)

// literalIDs finds the message ids the templates and the handlers name
// literally: T "id", TN "id", and the ids passed to fail and friends.
var literalIDs = regexp.MustCompile(`(?:\bTN? |p\.TN?\(|\.fail\(w, r, c, [a-zA-Z.]+, |Error = |Why = |ToError = |render\(w, r, [a-z]+, [a-zA-Z.]+, "[a-z]+", )"([a-z_]+\.[a-z_.0-9-]+)"`)

// TestMessageIDs fails when a page names a message that English lacks:
// the literal ids, and every id built from a protocol value (a request
// kind, a handling code, a reason…).
func TestMessageIDs(t *testing.T) {
	c, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := map[string]bool{}
	for _, mf := range c.Files() {
		if mf.Tag.String() == "en" {
			for _, m := range mf.Messages {
				en[m.ID] = true
			}
		}
	}
	var ids []string
	files, _ := filepath.Glob("web/templates/*.html")
	layout, _ := filepath.Glob("web/layout/*.html")
	files = append(files, layout...)
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range append(files, gofiles...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literalIDs.FindAllSubmatch(b, -1) {
			ids = append(ids, string(m[1]))
		}
	}
	if len(ids) < 100 {
		t.Fatalf("found only %d literal ids: the pattern is broken", len(ids))
	}
	add := func(prefix string, vs ...any) {
		for _, v := range vs {
			ids = append(ids, fmt.Sprint(prefix, v))
		}
	}
	for _, k := range protocol.RequestKinds() {
		add("request_kind.", k)
	}
	for _, h := range protocol.HandlingCodes() {
		add("handling.", h, h+".may", h+".may_not")
	}
	for _, x := range protocol.SourceEvaluations() {
		add("source_evaluation.", x)
	}
	add("information_evaluation.", 1, 2, 3, 4)
	for _, x := range protocol.CrimeTypes() {
		add("crime.", x)
	}
	for _, x := range protocol.PersonRoles() {
		add("person_role.", x)
	}
	for _, x := range protocol.IdentifierKinds() {
		add("identifier_kind.", x)
	}
	for _, x := range protocol.States() {
		add("status_state.", x)
	}
	for _, x := range protocol.Urgencies() {
		add("urgency.", x)
	}
	for _, x := range protocol.ContactRoles() {
		add("contact_role.", x)
	}
	for _, x := range protocol.Reasons() {
		add("reason.", x)
	}
	add("message_type.", protocol.TypeLead, protocol.TypeRequest, protocol.TypeReply, protocol.TypeStatus, protocol.TypeContact)
	for _, x := range agency.CopyStates() {
		add("receipt_state.", x)
	}
	for _, r := range agency.Roles() {
		add("accountrole.", r)
	}
	for _, l := range locale.Languages() {
		add("nav.language.", l)
	}
	add("hub.", "online", "offline")
	add("alarm.", agency.AlarmRosterRefused, agency.AlarmCardChanged, agency.AlarmOwnKey)
	add("duration.", "minutes", "hours", "days")
	for _, id := range ids {
		if !en[id] {
			t.Errorf("the console names message %q, which English lacks", id)
		}
	}
}
