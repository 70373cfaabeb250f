package hub

import (
	"testing"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
)

// TestSenderFilterCoversEveryType checks that an agency may publish every
// message type on its own sender subjects and none on another's.
func TestSenderFilterCoversEveryType(t *testing.T) {
	own := protocol.SenderFilter(testNetwork, "gh-ag")
	for _, typ := range protocol.MessageTypes() {
		in := protocol.IngestSubject(testNetwork, "gh-ag", "sn-pj-dakar", typ)
		if !server.SubjectMatchesFilter(in, own) {
			t.Errorf("%s is outside the sender filter %s: agencies cannot send %s messages", in, own, typ)
		}
		if !server.SubjectMatchesFilter(in, protocol.IngestFilter(testNetwork)) {
			t.Errorf("%s is outside the hub's ingest filter", in)
		}
		stored, ok := protocol.StoredSubject(testNetwork, in)
		if want := protocol.MessageSubject(testNetwork, "gh-ag", "sn-pj-dakar", typ); !ok || stored != want {
			t.Errorf("StoredSubject(%s) = %q, %v; want %q", in, stored, ok, want)
		}
		if s := protocol.IngestSubject(testNetwork, "sn-pj-dakar", "gh-ag", typ); server.SubjectMatchesFilter(s, own) {
			t.Errorf("%s is inside gh-ag's sender filter %s", s, own)
		}
		if s := protocol.MessageSubject(testNetwork, "gh-ag", "sn-pj-dakar", typ); server.SubjectMatchesFilter(s, own) {
			t.Errorf("%s (the stored subject) is inside gh-ag's sender filter %s: agencies would bypass the hub's sync", s, own)
		}
		if s := protocol.MessageSubject(testNetwork, "sn-pj-dakar", "gh-ag", typ); !server.SubjectMatchesFilter(s, protocol.InboxFilter(testNetwork, "gh-ag")) {
			t.Errorf("%s is outside gh-ag's inbox filter", s)
		}
	}
	for _, bad := range []string{"casenet." + testNetwork + ".in.", "casenet." + testNetwork + ".msg.gh-ag.sn.lead", "casenet.other.in.gh-ag.sn.lead"} {
		if s, ok := protocol.StoredSubject(testNetwork, bad); ok {
			t.Errorf("StoredSubject(%q) = %q, true; want false", bad, s)
		}
	}
}
