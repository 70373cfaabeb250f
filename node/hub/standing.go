package hub

import (
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
)

// rosterReaderPermissions are the NATS permissions of a member that is no
// longer active (revoked or suspended): it may read the roster, and
// nothing else, so that its node learns why it can neither send nor
// receive instead of retrying for ever. It cannot publish, take a message
// or acknowledge one.
func rosterReaderPermissions(network, agency string) *server.Permissions {
	kv := "KV_" + protocol.RosterBucket(network)
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.STREAM.INFO." + kv,
			"$JS.API.DIRECT.GET." + kv,
			"$JS.API.DIRECT.GET." + kv + ".>",
			"$JS.API.STREAM.MSG.GET." + kv,
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			protocol.InboxPrefix(agency) + ".>",
			rosterSubject(network),
		}},
	}
}
