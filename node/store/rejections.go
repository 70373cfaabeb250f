package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/casenode/casenode/protocol"
)

// Rejection is an input the node refused. The audit log holds its bytes;
// this is what status and the inbox show of it.
type Rejection struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// From is the sending agency as claimed, or "unknown".
	From string `json:"from"`
	// MessageID is the message's id as claimed, or empty.
	MessageID string          `json:"message_id,omitempty"`
	Reason    protocol.Reason `json:"reason"`
	// Detail is the local explanation; peers never see it.
	Detail string `json:"detail"`
	Size   int    `json:"size"`
	// Receipt says whether a rejected receipt went back to the sender
	// (only when the sender's signature verified).
	Receipt bool `json:"receipt"`
}

// AddRejection records r, assigning its Seq.
func (t *Tx) AddRejection(r *Rejection) error {
	return t.appendCounted(bucketRejected, countRejected, r, func(seq uint64) { r.Seq = seq })
}

// Rejections returns at most limit rejections (zero: all), newest first.
func (t *Tx) Rejections(limit int) ([]*Rejection, error) {
	var out []*Rejection
	c := t.bucket(bucketRejected).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var r Rejection
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, fmt.Errorf("rejection: %w", err)
		}
		out = append(out, &r)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}
