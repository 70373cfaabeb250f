package protocol

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Peer witnesses. Besides the hub, member agencies may witness each
// other's audit logs: a node configured with peers (node.json
// witness.peers) sends each of them its newest checkpoint in an
// add-checkpoint request (C2SP tlog-witness), and every node answers the
// requests of the active members as the hub's witness does, from a state
// of its own per log, with a cosignature (C2SP tlog-cosignature) by its
// own Ed25519 signing key under the name PeerWitnessName. The peer's key
// is thus the one its member card in the roster holds: the secretariat's
// signature vouches for it, and no message carries a key. The cosigned
// message ("cosignature/v1", a time, then a checkpoint whose first line is
// an origin "casenode/…") can be neither a checkpoint text nor a JWS
// signing input, which the same key signs.
//
// Requests and answers travel between members as everything else does,
// through the hub's stream, published on the ingest subject of their
// recipient with the message types TypePeerWitness…, each a compact JWS
// (PeerWitnessType) signed by its sender's agency key, and stamped with its
// publisher by the hub. They are signed, not sealed, as receipts are: a
// checkpoint says how many records a log holds and what its root hash is,
// nothing of their content, and witnesses and auditors are meant to see it.

// The message types of peer witnessing: the subject's last tokens, not
// body types (they are not in MessageTypes: no sealed body has them).
const (
	TypePeerWitnessRequest MessageType = "witness.request"
	TypePeerWitnessAnswer  MessageType = "witness.answer"
)

// PeerWitnessType is the JWS "typ" of a peer witness request or answer.
const PeerWitnessType = "casenode-peer-witness+jws"

// PeerWitnessVersion is the version of the peer witness message format.
const PeerWitnessVersion = 1

// Limits of a peer witness message.
const (
	// MaxPeerWitnessBody bounds its body: a whole add-checkpoint request
	// (6,964 bytes) or an answer.
	MaxPeerWitnessBody = 8 << 10
	// MaxPeerWitnessSize bounds the encoded message: the body, escaped,
	// and a few fields.
	MaxPeerWitnessSize = 2*MaxPeerWitnessBody + 1024
	// MaxSignedPeerWitnessSize bounds the JWS.
	MaxSignedPeerWitnessSize = MaxPeerWitnessSize/3*4 + 1024
)

// Kinds of peer witness message.
const (
	PeerWitnessRequest = "request"
	PeerWitnessAnswer  = "answer"
)

// PeerWitness is a peer witness request or answer, the payload of its JWS.
type PeerWitness struct {
	// Version is PeerWitnessVersion.
	Version int `json:"v"`
	// ID is the message's id, a UUIDv7: its publication id.
	ID string `json:"id"`
	// Network, From and To are the network, the sender and the recipient.
	Network string `json:"network"`
	From    string `json:"from"`
	To      string `json:"to"`
	// Kind is PeerWitnessRequest or PeerWitnessAnswer.
	Kind string `json:"kind"`
	// Size is, in an answer, the tree size of the checkpoint answered.
	Size int64 `json:"size,omitempty"`
	// Status is, in an answer, the witness's status code (the HTTP codes
	// of tlog-witness, as crypto/witness names them).
	Status int `json:"status,omitempty"`
	// Body is, in a request, the add-checkpoint request body; in an
	// answer, the cosignature lines (200), the witness's size and a
	// newline (409), or the reason.
	Body string `json:"body"`
	// Time is when the sender made it.
	Time Time `json:"time"`
}

// Validate checks every field; errors name the field.
func (p *PeerWitness) Validate() error {
	if p.Version != PeerWitnessVersion {
		return fmt.Errorf("peer_witness.v: unsupported version %d", p.Version)
	}
	if err := ValidateMessageID(p.ID); err != nil {
		return fmt.Errorf("peer_witness.id: %w", err)
	}
	for _, f := range []struct{ name, v string }{{"network", p.Network}, {"from", p.From}, {"to", p.To}} {
		if err := ValidateID(f.name, f.v); err != nil {
			return fmt.Errorf("peer_witness.%s: %w", f.name, err)
		}
	}
	if p.From == p.To {
		return fmt.Errorf("peer_witness.to: an agency does not witness its own log")
	}
	switch p.Kind {
	case PeerWitnessRequest:
		if p.Size != 0 || p.Status != 0 {
			return fmt.Errorf("peer_witness: a request has no size and no status")
		}
	case PeerWitnessAnswer:
		if p.Size < 0 {
			return fmt.Errorf("peer_witness.size: %d is negative", p.Size)
		}
		if p.Status < 100 || p.Status > 599 {
			return fmt.Errorf("peer_witness.status: %d is not a status code", p.Status)
		}
	default:
		return fmt.Errorf("peer_witness.kind: %q is neither %q nor %q", p.Kind, PeerWitnessRequest, PeerWitnessAnswer)
	}
	if p.Body == "" && p.Kind == PeerWitnessRequest {
		return fmt.Errorf("peer_witness.body: missing")
	}
	if len(p.Body) > MaxPeerWitnessBody || !utf8.ValidString(p.Body) {
		return fmt.Errorf("peer_witness.body: over %d bytes or not UTF-8", MaxPeerWitnessBody)
	}
	if p.Time.IsZero() {
		return fmt.Errorf("peer_witness.time: missing")
	}
	return nil
}

// Marshal returns the message's canonical encoding.
func (p *PeerWitness) Marshal() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return Marshal(p)
}

// ParsePeerWitness decodes a message in its canonical encoding and
// validates it.
func ParsePeerWitness(data []byte) (*PeerWitness, error) {
	var p PeerWitness
	if err := DecodeCanonical("peer witness message", data, MaxPeerWitnessSize, &p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// PeerWitnessName is the cosigner name of agency as a peer witness:
// casenode/<network>/witness/peer/<agency>. It is neither a log's origin
// nor the hub witness's name.
func PeerWitnessName(network, agency string) string {
	return "casenode/" + network + "/witness/peer/" + agency
}

// WitnessKeys returns the witness verifier keys that count for the log of
// agency: the roster's witnesses (the hub's), and the peer witness key of
// every other active member — its card's signing key, and the earlier keys
// its entry lists and did not revoke — under PeerWitnessName. Sorted, each
// once.
func (r *Roster) WitnessKeys(agency string) []string {
	out := slices.Clone(r.Witnesses)
	for i := range r.Members {
		m := &r.Members[i]
		if m.Card.Agency == agency || m.Status != StatusActive {
			continue
		}
		name := PeerWitnessName(r.Network, m.Card.Agency)
		out = append(out, WitnessKey(name, m.Card.PublicKey()))
		for j := range m.Previous {
			if p := &m.Previous[j]; !p.Revoked {
				out = append(out, WitnessKey(name, p.PublicKey()))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// PeerWitnessAgency returns the agency whose peer witness name is name in
// network; ok is false for any other name.
func PeerWitnessAgency(network, name string) (agency string, ok bool) {
	agency, ok = strings.CutPrefix(name, "casenode/"+network+"/witness/peer/")
	return agency, ok && isID(agency)
}
