package agency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// rewindInbox resets the agency's inbox consumer to its ack floor before
// the node pulls from it: what the hub delivered and the node did not
// acknowledge (it went into a connection that went away, or the node
// stopped before committing it) is delivered again now, in the stream's
// order, before anything later, rather than after the consumer's ack wait
// behind later messages. The inbox thus lists messages in the order the
// hub stored them. What the node had already committed comes again too,
// and is acknowledged as a duplicate.
//
// It reports whether the consumer was reset (its next delivery is then
// the consumer's first, sequence 1), and an error when the inbox has no
// leader at the hub just now (a clustered hub electing one): the node
// binds again later rather than pull from it unrewound. A hub that does
// not answer (an older one, which does not let members reset their inbox)
// leaves it as it is: the inbox order may then change after a
// reconnection, nothing else.
func (n *Node) rewindInbox(ctx context.Context, js jetstream.JetStream) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	subject := fmt.Sprintf("$JS.API.CONSUMER.RESET.%s.%s", protocol.StreamName(n.cfg.Network), protocol.ConsumerName(n.cfg.Agency))
	m, err := js.Conn().RequestWithContext(ctx, subject, []byte("{}"))
	if err == nil {
		var resp struct {
			Error *jetstream.APIError `json:"error"`
		}
		if err = json.Unmarshal(m.Data, &resp); err == nil && resp.Error != nil {
			err = resp.Error
		}
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, nats.ErrNoResponders):
		return false, fmt.Errorf("rewind the inbox: it has no leader at the hub yet: %w", err)
	case !errors.Is(err, context.Canceled):
		n.log.Warn("cannot rewind the inbox to its last acknowledged message: after a reconnection, messages may be listed out of the order the hub stored them", "err", err)
	}
	return false, nil
}
