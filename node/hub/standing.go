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

// disconnectLapsed closes the connections of the agencies active in prev
// and no longer in next: a connection keeps the pull requests it made as a
// member, so it must start again with a roster reader's permissions.
func disconnectLapsed(srv *server.Server, prev, next *protocol.Roster, users *userKeys) {
	if prev == nil {
		return
	}
	for _, m := range prev.Active() {
		if n := next.Member(m.Card.Agency); n != nil && n.Status == protocol.StatusActive {
			continue
		}
		key, ok := users.Agencies[m.Card.Agency]
		if !ok {
			continue
		}
		cz, err := srv.Connz(&server.ConnzOptions{User: key, Username: true, Limit: 1 << 16})
		if err != nil {
			continue
		}
		for _, c := range cz.Conns {
			srv.DisconnectClientByID(c.Cid)
		}
	}
}
