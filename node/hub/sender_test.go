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
		if s := protocol.MessageSubject(testNetwork, "gh-ag", "sn-pj-dakar", typ); !server.SubjectMatchesFilter(s, own) {
			t.Errorf("%s is outside the sender filter %s: agencies cannot send %s messages", s, own, typ)
		}
		if s := protocol.MessageSubject(testNetwork, "sn-pj-dakar", "gh-ag", typ); server.SubjectMatchesFilter(s, own) {
			t.Errorf("%s is inside gh-ag's sender filter %s", s, own)
		}
		if s := protocol.MessageSubject(testNetwork, "sn-pj-dakar", "gh-ag", typ); !server.SubjectMatchesFilter(s, protocol.InboxFilter(testNetwork, "gh-ag")) {
			t.Errorf("%s is outside gh-ag's inbox filter", s)
		}
	}
}
