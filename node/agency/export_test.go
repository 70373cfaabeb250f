package agency

import (
	"context"
	"crypto/ed25519"
	"errors"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/protocol"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
)

// OfferRoster offers a signed roster as if the hub served it.
func (n *Node) OfferRoster(ctx context.Context, signed []byte) error {
	return n.takeRoster(ctx, signed)
}

// AppendAudit appends an audit record as the node would, without the
// store's side: what a crash between the two commits leaves.
func (n *Node) AppendAudit(ctx context.Context, e auditlog.Entry) error {
	_, err := n.audit.Append(ctx, e)
	return err
}

// AuditSize returns the number of records of the node's audit log.
func (n *Node) AuditSize() (int64, error) { return n.audit.Size() }

// AskPeer sends peer a request to cosign signed, a checkpoint of this
// agency's log, with a proof-less old size: a test's forgery travels the
// node's own way.
func (n *Node) AskPeer(ctx context.Context, peer string, signed []byte, old int64) error {
	n.peers.mu.Lock()
	js := n.peers.js
	n.peers.mu.Unlock()
	if js == nil {
		return errors.New("offline")
	}
	req := &witness.Request{Old: old, Checkpoint: signed}
	return n.publishPeerWitness(ctx, js, &protocol.PeerWitness{To: peer, Kind: protocol.PeerWitnessRequest, Body: string(req.Marshal())})
}

// SigningKey returns the agency's signing key.
func (n *Node) SigningKey() ed25519.PrivateKey { return n.ident().Signing }

// PeerWitnessedSize returns the size of the checkpoint of agency's log
// this node cosigned last as its peer witness; 0 if none.
func (n *Node) PeerWitnessedSize(agency string) int64 {
	var held *store.PeerWitnessed
	if err := n.store.View(func(tx *store.Tx) error {
		var err error
		held, err = tx.PeerWitnessed(agency)
		return err
	}); err != nil || held == nil {
		return 0
	}
	cp, err := signedCheckpoint(held.Checkpoint)
	if err != nil {
		return 0
	}
	return cp.Size
}

// CheckpointNote returns the signed checkpoint of size of the audit log.
func (n *Node) CheckpointNote(size int64) ([]byte, error) {
	cp, err := n.audit.CheckpointAt(size)
	if err != nil {
		return nil, err
	}
	return cp.Note, nil
}

// RosterRecipients returns how many parsed age recipients the node's
// sealers hold from the roster in force.
func (n *Node) RosterRecipients() int {
	n.sealers.mu.Lock()
	defer n.sealers.mu.Unlock()
	return len(n.sealers.roster)
}
