package agency

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// maxReceiptJWS bounds a signed receipt: the base64url of a receipt of
// MaxReceiptSize, a protected header and a signature.
const maxReceiptJWS = protocol.MaxReceiptSize*4/3 + 1024

// messageHash is the message_hash of a receipt: the lowercase hex SHA-256
// of the exact sealed bytes.
func messageHash(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// signReceipt signs a receipt from this agency to the sender of message
// id, whose sealed bytes hash to hash. reason is set only for a rejection.
func (n *Node) signReceipt(to, id, hash string, kind protocol.ReceiptKind, reason protocol.Reason, now time.Time) (*store.QueuedReceipt, error) {
	r := &protocol.Receipt{
		Version:     protocol.ReceiptVersion,
		ID:          protocol.NewMessageID(now),
		Network:     n.cfg.Network,
		From:        n.cfg.Agency,
		To:          to,
		MessageID:   id,
		MessageHash: hash,
		Kind:        kind,
		Reason:      reason,
		Time:        protocol.NewTime(now),
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("receipt for %s: %w", id, err)
	}
	payload, err := r.Marshal()
	if err != nil {
		return nil, fmt.Errorf("receipt for %s: %w", id, err)
	}
	signer, err := n.signing()
	if err != nil {
		return nil, err
	}
	signed, err := jws.Sign(signer.Signing, protocol.ReceiptJWSType, nil, payload)
	if err != nil {
		return nil, fmt.Errorf("receipt for %s: %w", id, err)
	}
	return &store.QueuedReceipt{ID: r.ID, To: to, Kind: kind, JWS: signed}, nil
}

// verifyReceipt checks a receipt another agency signed: canonical form,
// signed with a key the roster trusts for its issuer at the later of the
// receipt's time and the time the hub stored it, and addressed to this
// agency in this network.
func (n *Node) verifyReceipt(raw []byte, rf *rosterInForce, stored time.Time) (*protocol.Receipt, error) {
	if len(raw) > maxReceiptJWS {
		return nil, &seal.Error{Reason: protocol.ReasonOversized, Err: fmt.Errorf("receipt is %d bytes, over the limit of %d", len(raw), maxReceiptJWS)}
	}
	p, err := jws.Parse(raw, protocol.ReceiptJWSType, maxReceiptJWS)
	if err != nil {
		return nil, &seal.Error{Reason: protocol.ReasonMalformed, Err: fmt.Errorf("receipt: %w", err)}
	}
	r, err := protocol.ParseReceipt(p.Payload)
	if err != nil {
		return nil, &seal.Error{Reason: protocol.ReasonMalformed, Err: err}
	}
	pub, err := rf.keysAt(judgedAt(r.Time.Time, stored)).SigningKey(r.From, p.KeyID)
	if err != nil {
		return r, err
	}
	if err := p.Verify(pub); err != nil {
		return r, &seal.Error{Reason: protocol.ReasonBadSignature, Err: fmt.Errorf("receipt from %s: %w", r.From, err)}
	}
	if r.Network != n.cfg.Network || r.To != n.cfg.Agency {
		return r, &seal.Error{Reason: protocol.ReasonNotAddressed, Err: fmt.Errorf("receipt from %s is for agency %q of network %q", r.From, r.To, r.Network)}
	}
	return r, nil
}

// copyState is the outbox state a receipt of kind k moves a copy to.
func copyState(k protocol.ReceiptKind) store.CopyState {
	switch k {
	case protocol.ReceiptRead:
		return store.CopyRead
	case protocol.ReceiptRejected:
		return store.CopyRejected
	}
	return store.CopyDelivered
}
