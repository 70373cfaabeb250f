package protocol

// PublisherHeader is the header the hub stamps on every message it stores:
// the agency whose NATS credentials published it. The hub sets it from the
// ingest subject its permissions allow that agency alone, and overwrites
// whatever a member may have sent under that name: a receiver trusts it as
// the authenticated publisher, unlike the sender a message claims.
const PublisherHeader = "Casenode-Publisher"

// Codes of the hub's refusals, in the JetStream API error a node's
// publication gets back (the HTTP-like code of the error).
const (
	// HubRefusedCode: the publication is not allowed at all (a recipient
	// that is not an active member, a Nats-Msg-Id that is not
	// PublishID(message id, recipient)).
	HubRefusedCode = 403
	// HubOverLimitCode: the publishing agency is over one of its limits at
	// the hub (rate, stored bytes or stored messages); it may publish again
	// later.
	HubOverLimitCode = 429
	// HubEarlierFirstCode: an earlier message of the same sender to the
	// same recipient, published on the same connection, was not stored;
	// the node publishes it again, then this one.
	HubEarlierFirstCode = 409
)

// HubPublishID is the de-duplication id the hub stores a publication
// under: the member's own id, scoped to the agency that published it, so
// that no member can claim another's id.
func HubPublishID(publisher, id string) string { return publisher + "/" + id }

// ReplyPrefix is the reply space of agency: the hub answers a publication
// only on a subject under it.
func ReplyPrefix(agency string) string { return InboxPrefix(agency) + "." }
