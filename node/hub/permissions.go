package hub

import (
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
)

// agencyPermissions are an agency's NATS permissions: exactly the node
// connection contract of docs/OPERATOR.md. Everything else is denied. The
// agency's account imports from the hub account the parts of
// memberServices these permissions allow (memberSpec), and nothing else.
func agencyPermissions(network, agency string) *server.Permissions {
	stream, consumer, kv := protocol.StreamName(network), protocol.ConsumerName(agency), "KV_"+protocol.RosterBucket(network)
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			protocol.SenderFilter(network, agency),
			protocol.AttachAgencyFilter(network, agency),
			protocol.AttachChunkFilter(network, agency),
			protocol.WitnessSubject(network, agency),
			"$JS.API.CONSUMER.INFO." + stream + "." + consumer,
			"$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer,
			"$JS.API.CONSUMER.RESET." + stream + "." + consumer,
			"$JS.ACK." + stream + "." + consumer + ".>",
			"$JS.API.STREAM.INFO." + kv,
			"$JS.API.DIRECT.GET." + kv,
			"$JS.API.DIRECT.GET." + kv + ".>",
			"$JS.API.STREAM.MSG.GET." + kv,
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			protocol.InboxPrefix(agency) + ".>",
			rosterSubject(network),
			protocol.AttachDeliverFilter(network, agency),
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
			// The witness's state, alarms and resets (witness.go), for the
			// secretariat's export and the auditor's --witness-from;
			// their buckets take no direct gets (bucketStream).
			"$JS.API.STREAM.MSG.GET.KV_" + protocol.WitnessBucket(network),
			"$JS.API.STREAM.MSG.GET.KV_" + protocol.WitnessAlarmBucket(network),
			"$JS.API.STREAM.MSG.GET.KV_" + protocol.WitnessResetBucket(network),
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{adminInbox + ".>"}},
	}
}

// rosterSubject is the subject on which the roster bucket stores the roster.
func rosterSubject(network string) string {
	return "$KV." + protocol.RosterBucket(network) + "." + protocol.RosterKey
}

// Inbox prefixes of the hub's own connections. No agency's inbox prefix
// (protocol.InboxPrefix: "_INBOX_…") and not the admin's ("_INBOX") can
// equal them or lie under them.
const (
	serviceInbox = "_CASENODE_HUB"
	ingestInbox  = "_CASENODE_INGEST"
)

// servicePermissions are those of the hub's service connection: the
// JetStream API (stream, consumers, the roster bucket) and the roster
// bucket's subjects, which it also watches (rosterGuard); and the
// attachment service (attach.go): its requests, its chunk subjects and
// record bucket, and the reply subjects that lead back to the members;
// and the flow control of stream snapshots and restores (snapshot.go).
func servicePermissions(network string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.>",
			"$KV." + protocol.RosterBucket(network) + ".>",
			"$KV." + attachBucket(network) + ".>",
			"casenet." + network + ".attdata.>",
			// The witness (witness.go): its buckets.
			"$KV." + protocol.WitnessBucket(network) + ".>",
			"$KV." + protocol.WitnessAlarmBucket(network) + ".>",
			"$KV." + protocol.WitnessResetBucket(network) + ".>",
			// Answers of the attachment service and the witness, which go
			// back to the members' accounts only.
			responsePrefix + ">",
			// The chunks the attachment service has the stream deliver to
			// the members (the replies of its direct gets).
			protocol.AttachDeliverService(network),
			"$KV." + usersBucket(network) + ".>",
			// Online backups and their restore (snapshot.go): the
			// acknowledgements of a snapshot's chunks, and the chunks of
			// a restore.
			"$JS.SNAPSHOT.ACK.>",
			"$JS.SNAPSHOT.RESTORE.>",
			// The inbox consumers' positions (positions.go).
			"$KV." + positionsBucket(network) + ".>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{serviceInbox + ".>", rosterSubject(network), protocol.AttachService(network), protocol.WitnessFilter(network),
			// The chunk stream's republications (attachguard.go).
			attachSeenPrefix(network) + ".>"}},
	}
}

// ingestPermissions are those of the ingest's storing connection: it reads
// the nodes' publications and stores them in the messages stream, whose
// acknowledgements come back to its own inbox. It cannot publish to the
// roster bucket, the JetStream API or any inbox.
func ingestPermissions(network string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{protocol.StreamSubjects(network)}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			protocol.IngestFilter(network),
			ingestInbox + ".>",
		}},
	}
}

// answerPermissions are those of the ingest's answering connection: it
// publishes only on the reply subjects the server gives requests from the
// members' accounts, which lead back into the requester's account, so that
// even a mistake in the ingest's own check of a reply subject cannot make the hub
// write into the roster bucket, the messages stream or anything else of
// the hub account.
func answerPermissions() *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{responsePrefix + ">"}},
		Subscribe: &server.SubjectPermission{Deny: []string{">"}},
	}
}
