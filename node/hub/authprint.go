package hub

import (
	"slices"
	"strings"

	"github.com/casenode/casenode/protocol"
)

// authPrint sums up what of a roster and the users file NATS's
// configuration depends on: the admin's key and, per agency that has a
// user, its key and whether it is active. Reload reconfigures NATS only
// when it changes: a roster renewed, or a member's card rotated without a
// new NATS key, changes nothing there. Each reconfiguration re-creates the
// accounts' service imports while members' traffic crosses them, which
// nats-server 2.15 does without the locks its readers take
// (nats-io/nats-server#8499): reloading only when needed keeps that window
// to the admissions and revocations that need it.
func authPrint(r *protocol.Roster, users *userKeys) string {
	lines := []string{"admin " + users.Admin}
	for _, m := range r.Members {
		key, ok := users.Agencies[m.Card.Agency]
		if !ok {
			continue
		}
		lines = append(lines, m.Card.Agency+" "+key+" "+string(m.Status))
	}
	slices.Sort(lines[1:])
	return strings.Join(lines, "\n")
}
