package agency

import (
	"sync"
	"time"

	"github.com/casenode/casenode/protocol"
)

// stamps gives the messages this node seals their creation time and id,
// each message's after the one before (protocol.MessageIDAfter), so that a
// case thread, ordered by creation time and id (store.Thread), shows this
// agency's messages in the order it sent them wherever they arrive in
// another order: a hub that fails over may store a resent message after
// later ones. Messages sent one after the other keep their order even
// within one millisecond, or across a clock stepped back by up to
// protocol.MaxIDStepBack; messages sent concurrently have no order.
type stamps struct {
	mu   sync.Mutex
	last string // the id of the last message sealed since the node opened
}

// next returns the creation time and id of a message sealed at now.
func (s *stamps) next(now time.Time) (time.Time, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, id := protocol.MessageIDAfter(s.last, now)
	s.last = id
	return at, id
}
