package hub

import (
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// TestValidPublishID: the ingest takes only ids of a node's own form, a
// valid message id and the recipient the subject names.
func TestValidPublishID(t *testing.T) {
	msg := protocol.NewMessageID(time.Now())
	cases := []struct {
		id, to string
		want   bool
	}{
		{protocol.PublishID(msg, sn), sn, true},
		{protocol.PublishID(msg, sn), gh, false},
		{"garbage:" + sn, sn, false},
		{msg, sn, false},
		{"", sn, false},
	}
	for _, c := range cases {
		if got := validPublishID(c.id, c.to); got != c.want {
			t.Errorf("validPublishID(%q, %q) = %v, want %v", c.id, c.to, got, c.want)
		}
	}
}
