package store

import (
	"encoding/json"
	"fmt"

	"github.com/casenode/casenode/protocol"
)

// QueuedReceipt is a receipt this node signed and recorded, waiting for
// the hub's acknowledgement.
type QueuedReceipt struct {
	// Seq orders the queue; QueueReceipt assigns it.
	Seq uint64 `json:"seq"`
	// ID is the receipt's id; To the agency it goes to.
	ID   string               `json:"id"`
	To   string               `json:"to"`
	Kind protocol.ReceiptKind `json:"kind"`
	// JWS is the signed receipt, as published.
	JWS []byte `json:"jws"`
}

// QueueReceipt adds r to the queue, assigning its Seq.
func (t *Tx) QueueReceipt(r *QueuedReceipt) error {
	return t.appendCounted(bucketReceipts, countReceipts, r, func(seq uint64) { r.Seq = seq })
}

// DequeueReceipt removes the receipt of queue position seq, once the hub
// has it.
func (t *Tx) DequeueReceipt(seq uint64) error {
	b := t.bucket(bucketReceipts)
	if b.Get(seqKey(seq)) == nil {
		return nil
	}
	if err := b.Delete(seqKey(seq)); err != nil {
		return err
	}
	return t.add(countReceipts, -1)
}

// QueuedReceipts returns the queue in order.
func (t *Tx) QueuedReceipts() ([]*QueuedReceipt, error) {
	var out []*QueuedReceipt
	err := t.bucket(bucketReceipts).ForEach(func(k, v []byte) error {
		var r QueuedReceipt
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("queued receipt: %w", err)
		}
		out = append(out, &r)
		return nil
	})
	return out, err
}
