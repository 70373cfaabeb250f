package hub

import (
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestMembersHealth: the hub's view of each member — connected or when
// its connection ended, the copies waiting in its inbox and the oldest's
// storage time, its refused publications, what it has stored against its
// quota — from the server's connections, the consumers and the ingest.
func TestMembersHealth(t *testing.T) {
	n := newTestNet(t, "gh-ag", "sn-pj-dakar")
	ctx := ctxT(t)
	gh := n.connect(t, "gh-ag")
	sn := n.connect(t, "sn-pj-dakar")
	before := time.Now()
	for _, to := range []string{"sn-pj-dakar", "sn-pj-dakar", "ne-mj"} {
		id := protocol.NewMessageID(time.Now())
		msg := &nats.Msg{Subject: protocol.IngestSubject(testNetwork, "gh-ag", to, protocol.TypeLead), Data: []byte("sealed")}
		gh.js.PublishMsg(ctx, msg, jetstream.WithMsgID(protocol.PublishID(id, to))) // the last is refused: ne-mj is no member
	}
	byAgency := func() map[string]MemberHealth {
		ms, err := n.hub.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]MemberHealth{}
		for _, m := range ms {
			out[m.Agency] = m
		}
		return out
	}
	m := byAgency()
	g, s := m["gh-ag"], m["sn-pj-dakar"]
	if g.Connections != 1 || s.Connections != 1 || m["wacap-secretariat"].Connections != 0 {
		t.Errorf("connections: gh %d, sn %d", g.Connections, s.Connections)
	}
	if g.Refused != 1 || s.Refused != 0 {
		t.Errorf("refused: gh %d, sn %d", g.Refused, s.Refused)
	}
	if g.StoredMsgs != 2 || g.StoredBytes != 12 || g.QuotaMsgs != n.hub.cfg.MemberLimits.StoredMessages || g.Over != "" {
		t.Errorf("gh's storage: %d messages, %d bytes, quota %d, over %q", g.StoredMsgs, g.StoredBytes, g.QuotaMsgs, g.Over)
	}
	if s.Waiting != 2 || s.Oldest.Before(before.Add(-time.Second)) || s.Oldest.After(time.Now()) || g.Waiting != 0 {
		t.Errorf("waiting: sn %d (oldest %s), gh %d", s.Waiting, s.Oldest, g.Waiting)
	}
	if g.Status != protocol.StatusActive || g.Secretariat || !m["wacap-secretariat"].Secretariat || g.KeyID != n.ids["gh-ag"].KeyID() {
		t.Errorf("gh's roster facts %+v", g)
	}
	sn.nc.Close()
	poll.Until(t, 10*time.Second, "sn's connection gone", func() bool {
		s := byAgency()["sn-pj-dakar"]
		return s.Connections == 0 && !s.Disconnected.IsZero() && !s.LastSeen.IsZero()
	})
}
