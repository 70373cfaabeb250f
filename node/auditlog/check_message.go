package auditlog

import (
	"fmt"
	"slices"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/protocol"
)

// The log's trust at each point is a set of keys seal checks messages
// against.
var _ seal.Keys = (*Trust)(nil)

// maxReceiptJWS bounds a signed receipt: the base64url of a receipt of
// protocol.MaxReceiptSize, a protected header and a signature.
const maxReceiptJWS = protocol.MaxReceiptSize*4/3 + 1024

// CheckMessage is the MessageCheck of 'casenode audit verify': the
// signatures of a stored message or receipt, and that they agree with the
// record. It never decrypts.
//
// Each is judged by the keys the trust at its point of the log has for its
// signer (Trust.KeysFor): a message or receipt from another agency by the
// roster in force, at the later of the time it was created and the time the
// hub stored it (when the record carries the hub's stamp), once there is
// one: as the node judged it.
func CheckMessage(rec *Record, payload []byte, trust *Trust) error {
	switch rec.Type {
	case TypeSent, TypeReceived:
		return checkSealed(rec, payload, trust)
	case TypeReceipt:
		return checkReceipt(rec, payload, trust)
	}
	return nil
}

func checkSealed(rec *Record, payload []byte, trust *Trust) error {
	var keys seal.Keys = trust
	if rec.Type == TypeReceived {
		env, _, err := seal.Parse(payload)
		if err != nil {
			return err
		}
		keys = trust.KeysFor(env.Header.From, judgedAt(env.Header.Created.Time, rec))
	}
	env, err := seal.Verify(payload, keys, seal.VerifyOptions{Network: trust.Network(), SkipTime: true})
	if err != nil {
		if trust.Roster() != nil && rec.Type == TypeReceived {
			return fmt.Errorf("%w (judged by roster serial %d in force at this record)", err, trust.Roster().Serial)
		}
		return err
	}
	h := env.Header
	if rec.MessageID != "" && h.ID != rec.MessageID {
		return fmt.Errorf("the message's id is %s, the record's %s", h.ID, rec.MessageID)
	}
	own := trust.Own().Agency
	if rec.Type == TypeSent && h.From != own {
		return fmt.Errorf("a message the node sent is from %s, not from %s", h.From, own)
	}
	if rec.Type == TypeReceived {
		if h.From != rec.Actor {
			return fmt.Errorf("the message is from %s, the record says from %s", h.From, rec.Actor)
		}
		if !slices.Contains(h.To, own) {
			return fmt.Errorf("a message the node received is addressed to %v, not to %s", h.To, own)
		}
	}
	return nil
}

func checkReceipt(rec *Record, payload []byte, trust *Trust) error {
	p, err := jws.Parse(payload, protocol.ReceiptJWSType, maxReceiptJWS)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	r, err := protocol.ParseReceipt(p.Payload)
	if err != nil {
		return err
	}
	pub, err := trust.KeysFor(r.From, judgedAt(r.Time.Time, rec)).SigningKey(r.From, p.KeyID)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if err := p.Verify(pub); err != nil {
		return fmt.Errorf("receipt from %s: %w", r.From, err)
	}
	if r.From != rec.Actor {
		return fmt.Errorf("the receipt is from %s, the record says from %s", r.From, rec.Actor)
	}
	if rec.MessageID != "" && r.MessageID != rec.MessageID {
		return fmt.Errorf("the receipt is about message %s, the record about %s", r.MessageID, rec.MessageID)
	}
	return nil
}

// judgedAt is the time a received message or receipt is judged at, as the
// node judged it: the later of the time its signer claims and the time the
// hub stored it, when the record carries the hub's stamp (record version
// 2); the claimed time alone in a record written before.
func judgedAt(claimed time.Time, rec *Record) time.Time {
	if rec.Hub != nil && rec.Hub.Stored.After(claimed) {
		return rec.Hub.Stored
	}
	return claimed
}
