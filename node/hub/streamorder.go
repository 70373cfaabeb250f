package hub

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// StoredOrder lists the de-duplication ids (protocol.HubPublishID) of the
// messages addressed to agency in the messages stream, in the stream's
// order: the order its inbox consumer delivers them in. It reads them one
// by one through the stream's leader, for the lab's checks of that order.
func (h *Hub) StoredOrder(ctx context.Context, agency string) ([]string, error) {
	s, err := h.js.Stream(ctx, protocol.StreamName(h.cfg.Network))
	if err != nil {
		return nil, fmt.Errorf("read the messages stream: %w", err)
	}
	st := s.CachedInfo().State
	filter := protocol.InboxFilter(h.cfg.Network, agency)
	var ids []string
	for seq := st.FirstSeq; seq <= st.LastSeq && st.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			return nil, fmt.Errorf("read message %d of the messages stream: %w", seq, err)
		}
		if server.SubjectMatchesFilter(m.Subject, filter) {
			ids = append(ids, m.Header.Get(jetstream.MsgIDHeader))
		}
	}
	return ids, nil
}
