package hub

import (
	"sync"
	"time"
)

// memberCounts counts, per publishing member, the publications the ingest
// refused (and the service requests the hub refused, such as an attachment
// delete that is not the sender's) and the time of its last publication:
// what the secretariat's console shows of a member's traffic. The member is the FROM token of
// the ingest subject, which the server's permissions make the publisher
// (an unparsable subject counts under its first token, bounded by
// maxCounted).
type memberCounts struct {
	mu      sync.Mutex
	refused map[string]int64
	last    map[string]time.Time
}

// maxCounted bounds the members counted, against a flood of forged
// tokens.
const maxCounted = 10000

func newMemberCounts() *memberCounts {
	return &memberCounts{refused: map[string]int64{}, last: map[string]time.Time{}}
}

// published notes a publication of member's at t, refused or not. A nil
// *memberCounts counts nothing (an ingest built without one, in tests).
func (c *memberCounts) published(member string, t time.Time, refused bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.last[member]; !ok && len(c.last) >= maxCounted {
		return
	}
	c.last[member] = t
	if refused {
		c.refused[member]++
	}
}

// refusedRequest counts a service request of member's that the hub
// refused. A nil *memberCounts counts nothing.
func (c *memberCounts) refusedRequest(member string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.refused[member]; !ok && len(c.refused) >= maxCounted {
		return
	}
	c.refused[member]++
}

// get returns member's refusals and its last publication.
func (c *memberCounts) get(member string) (refused int64, last time.Time) {
	if c == nil {
		return 0, time.Time{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused[member], c.last[member]
}
