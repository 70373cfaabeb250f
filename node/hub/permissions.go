package hub

import (
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
)

// agencyPermissions are an agency's NATS permissions: exactly the node
// connection contract of docs/OPERATOR.md. Everything else is denied.
func agencyPermissions(network, agency string) *server.Permissions {
	stream, consumer, kv := protocol.StreamName(network), protocol.ConsumerName(agency), "KV_"+protocol.RosterBucket(network)
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			protocol.SenderFilter(network, agency),
			"$JS.API.CONSUMER.INFO." + stream + "." + consumer,
			"$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer,
			"$JS.ACK." + stream + "." + consumer + ".>",
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

// adminInbox is the inbox prefix of the admin user; the nats CLI uses it by
// default.
const adminInbox = "_INBOX"

// adminPermissions make the admin user a read-only observer: it sees the
// state of streams, consumers and the roster, but cannot read, take, change
// or delete messages, consumers or streams. Changes go through the hub
// directory.
func adminPermissions(network string) *server.Permissions {
	kv := "KV_" + protocol.RosterBucket(network)
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.INFO",
			"$JS.API.STREAM.NAMES",
			"$JS.API.STREAM.LIST",
			"$JS.API.STREAM.INFO.*",
			"$JS.API.CONSUMER.NAMES.*",
			"$JS.API.CONSUMER.LIST.*",
			"$JS.API.CONSUMER.INFO.*.*",
			"$JS.API.DIRECT.GET." + kv,
			"$JS.API.DIRECT.GET." + kv + ".>",
			"$JS.API.STREAM.MSG.GET." + kv,
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{adminInbox + ".>"}},
	}
}

// rosterSubject is the subject on which the roster bucket stores the roster.
func rosterSubject(network string) string {
	return "$KV." + protocol.RosterBucket(network) + "." + protocol.RosterKey
}
